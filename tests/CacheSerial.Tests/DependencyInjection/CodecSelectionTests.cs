using System.Buffers;
using System.Text.Json;
using CacheSerial.MessagePack;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Envelopes;
using CacheSerial.TestSupport.Fakes;
using CacheSerial.Tests.Behaviour;
using CacheSerial.Tests.Codecs;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.DependencyInjection;

/// <summary>Which codec a cache writes with, as recorded in the stored envelope's codec name.</summary>
public sealed class CodecSelectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Default_IsSystemTextJson()
    {
        using var h = new CacheHarness(InMemoryStores.Create());

        Assert.Equal("stj", await StoredCodecAsync(h, new Sample("a", 1)));
    }

    [Fact]
    public async Task UseMessagePack_WritesMessagePackEntries()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePack());

        Assert.Equal("msgpack", await StoredCodecAsync(h, new Sample("a", 1)));
        Assert.Equal(new Sample("a", 1), await h.Cache.GetAsync<Sample>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task UseMessagePack_WithLz4_RoundTrips()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePack(useLz4: true));
        var value = new string('r', 10_000);

        await h.Cache.SetAsync("k", value, cancellationToken: Ct);
        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);

        Assert.Equal("msgpack", envelope.CodecName);
        Assert.True(envelope.PayloadLength < 1_000, $"payload is {envelope.PayloadLength} bytes");
        Assert.Equal(value, await h.Cache.GetAsync<string>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task UseCodec_CustomCodec_IsUsedForEveryType()
    {
        var codec = new NamedCodec("custom-json", SystemTextJsonCodec.Default);
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseCodec(codec));

        Assert.Equal("custom-json", await StoredCodecAsync(h, new Sample("a", 1)));
        Assert.Equal("custom-json", await StoredCodecAsync(h, 5));
        Assert.Equal(new Sample("a", 1), await h.Cache.GetAsync<Sample>("k-Sample", cancellationToken: Ct));
        Assert.True(codec.Serializations >= 2);
        Assert.True(codec.Deserializations >= 1);
    }

    [Fact]
    public async Task UseCodec_CalledTwice_LastWins()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePack().UseSystemTextJson());

        Assert.Equal("stj", await StoredCodecAsync(h, 1));
    }

    [Fact]
    public async Task UseCodecFor_OverridesOnlyThatExactType()
    {
        using var h = new CacheHarness(
            InMemoryStores.Create(),
            build: b => b.UseCodecFor<Sample>(MessagePackCodec.Default).UseCodecFor<int>(new NamedCodec("ints", SystemTextJsonCodec.Default)));

        Assert.Equal("msgpack", await StoredCodecAsync(h, new Sample("a", 1)));
        Assert.Equal("ints", await StoredCodecAsync(h, 5));
        Assert.Equal("stj", await StoredCodecAsync(h, new OtherSample("a", 1)));
        Assert.Equal("stj", await StoredCodecAsync(h, new List<Sample> { new("a", 1) }));
        Assert.Equal("stj", await StoredCodecAsync(h, 5L));
        Assert.Equal(new Sample("a", 1), await h.Cache.GetAsync<Sample>("k-Sample", cancellationToken: Ct));
        Assert.Equal(5, await h.Cache.GetAsync<int>("k-Int32", cancellationToken: Ct));
    }

    [Fact]
    public async Task UseCodecFor_WithDefaultMessagePack_OverridesBackToJson()
    {
        using var h = new CacheHarness(
            InMemoryStores.Create(),
            build: b => b.UseMessagePack().UseCodecFor<Sample>(SystemTextJsonCodec.Default));

        Assert.Equal("stj", await StoredCodecAsync(h, new Sample("a", 1)));
        Assert.Equal("msgpack", await StoredCodecAsync(h, new OtherSample("a", 1)));
    }

    [Fact]
    public async Task UseMessagePackFor_OverridesOneType()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePackFor<Sample>());

        Assert.Equal("msgpack", await StoredCodecAsync(h, new Sample("a", 1)));
        Assert.Equal("stj", await StoredCodecAsync(h, new OtherSample("a", 1)));
    }

    [Fact]
    public async Task UseCodecFor_EntryWrittenByPerTypeCodec_IsMissForCacheWithoutOverride()
    {
        var store = InMemoryStores.Create();
        using var withOverride = new CacheHarness(store, build: b => b.UseCodecFor<Sample>(MessagePackCodec.Default));
        using var without = new CacheHarness(store, prefix: withOverride.Prefix);

        await withOverride.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct);

        Assert.False((await without.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task UseSystemTextJson_WithOptions_UsesThem()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseSystemTextJson(options));

        await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct);
        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);

        Assert.Equal("""{"name":"a","number":1}""", System.Text.Encoding.UTF8.GetString(envelope.Payload));
        Assert.Equal(new Sample("a", 1), await h.Cache.GetAsync<Sample>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task UseSystemTextJson_WithContext_UsesIt()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseSystemTextJson(TestJsonContext.Default));

        await h.Cache.SetAsync("k", 5, cancellationToken: Ct);

        Assert.Equal(5, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
        await Assert.ThrowsAsync<CacheSerializationException>(async () => await h.Cache.SetAsync("s", new Sample("a", 1), cancellationToken: Ct));
    }

    public static TheoryData<string> InvalidCodecNames => new()
    {
        string.Empty,
        "has space",
        "tab\t",
        "ünicode",
        "del\u007F",
        new string('n', 65),
    };

    [Theory]
    [MemberData(nameof(InvalidCodecNames))]
    public void UseCodec_InvalidName_ThrowsArgumentException(string name)
    {
        var builder = new ServiceCollection().AddCacheSerial();
        var codec = new NamedCodec(name, SystemTextJsonCodec.Default);

        Assert.Throws<ArgumentException>(() => builder.UseCodec(codec));
        Assert.Throws<ArgumentException>(() => builder.UseCodecFor<int>(codec));
    }

    [Fact]
    public void UseCodec_NullName_ThrowsArgumentException()
    {
        var builder = new ServiceCollection().AddCacheSerial();

        Assert.Throws<ArgumentException>(() => builder.UseCodec(new NamedCodec(null!, SystemTextJsonCodec.Default)));
    }

    [Fact]
    public void UseCodec_Null_ThrowsArgumentNullException()
    {
        var builder = new ServiceCollection().AddCacheSerial();

        Assert.Throws<ArgumentNullException>(() => builder.UseCodec(null!));
        Assert.Throws<ArgumentNullException>(() => builder.UseCodecFor<int>(null!));
    }

    [Fact]
    public async Task UseCodec_LongestValidName_IsStored()
    {
        var name = new string('n', 64);
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseCodec(new NamedCodec(name, SystemTextJsonCodec.Default)));

        Assert.Equal(name, await StoredCodecAsync(h, 1));
        Assert.Equal(1, await h.Cache.GetAsync<int>("k-Int32", cancellationToken: Ct));
    }

    [Fact]
    public void BuilderExtensions_NullBuilder_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => CacheSerialBuilderExtensions.UseSystemTextJson(null!));
        Assert.Throws<ArgumentNullException>(() => MessagePackCacheSerialBuilderExtensions.UseMessagePack(null!));
        Assert.Throws<ArgumentNullException>(() => MessagePackCacheSerialBuilderExtensions.UseMessagePackFor<int>(null!));
    }

    [Fact]
    public async Task CodecThatThrowsOnRead_IsLoggedMissWithCodecError()
    {
        var broken = new ThrowingReadCodec();
        using var h = new CacheHarness(InMemoryStores.Create(), o => o.OnDeserializationFailure = DeserializationFailureBehavior.Throw, b => b.UseCodec(broken));
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        var ex = await Assert.ThrowsAsync<CacheEntryRejectedException>(async () => await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct));

        Assert.Equal(CacheEntryRejectReason.CodecError, ex.Reason);
        Assert.IsType<FormatException>(ex.InnerException);
    }

    private static async Task<string> StoredCodecAsync<T>(CacheHarness h, T value)
    {
        var key = "k-" + typeof(T).Name.Split('`')[0] + (typeof(T).IsGenericType ? "-generic" : string.Empty);
        await h.Cache.SetAsync(key, value, cancellationToken: Ct);
        await h.Cache.SetAsync("k", value, cancellationToken: Ct);
        return EnvelopeBytes.Parse((await h.ReadRawAsync(key, Ct))!).CodecName;
    }

    private sealed class ThrowingReadCodec : ICacheCodec
    {
        public string Name => "throws-on-read";

        public void Serialize<T>(T value, IBufferWriter<byte> destination) => SystemTextJsonCodec.Default.Serialize(value, destination);

        public T Deserialize<T>(ReadOnlySequence<byte> source) => throw new FormatException("cannot read");
    }
}
