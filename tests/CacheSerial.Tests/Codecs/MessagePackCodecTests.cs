using System.Buffers;
using CacheSerial.MessagePack;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Codecs;
using CacheSerial.Tests.Behaviour;
using MessagePack;
using MessagePack.Resolvers;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.Codecs;

public sealed class MessagePackCodecTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Name_IsMsgpack()
    {
        Assert.Equal("msgpack", MessagePackCodec.Default.Name);
        Assert.Equal("msgpack", new MessagePackCodec(useLz4: true).Name);
    }

    [Fact]
    public void AttributedType_IntKeys_RoundTripsAndIgnoresIgnoredMember()
    {
        var value = new AttributedItem { Id = 7, Name = "seven", Secret = "not stored" };

        var copy = RoundTrip(MessagePackCodec.Default, value);

        Assert.Equal(7, copy.Id);
        Assert.Equal("seven", copy.Name);
        Assert.Null(copy.Secret);
    }

    [Fact]
    public void AttributedType_IntKeys_IsWrittenAsArray()
    {
        var bytes = Write(MessagePackCodec.Default, new AttributedItem { Id = 1, Name = "a" });

        Assert.Equal(MessagePackType.Array, new MessagePackReader(bytes).NextMessagePackType);
    }

    [Fact]
    public void AttributedType_StringKeys_RoundTrips()
    {
        var copy = RoundTrip(MessagePackCodec.Default, new AttributedByName { Title = "t", Count = 3 });

        Assert.Equal("t", copy.Title);
        Assert.Equal(3, copy.Count);
    }

    [Fact]
    public void AttributedRecord_ConstructorKeys_RoundTrips()
    {
        Assert.Equal(new AttributedRecord(5, "five"), RoundTrip(MessagePackCodec.Default, new AttributedRecord(5, "five")));
    }

    [Fact]
    public async Task AttributedType_ThroughCache_RoundTrips()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePack());

        await h.Cache.SetAsync("k", new AttributedItem { Id = 3, Name = "three" }, cancellationToken: Ct);
        var copy = await h.Cache.GetAsync<AttributedItem>("k", cancellationToken: Ct);

        Assert.NotNull(copy);
        Assert.Equal(3, copy.Id);
        Assert.Equal("three", copy.Name);
    }

    [Fact]
    public void Contractless_PlainClass_IsWrittenAsMapWithPropertyNames()
    {
        var bytes = Write(MessagePackCodec.Default, new OrderLine { Sku = "A", Quantity = 1 });

        Assert.Equal(MessagePackType.Map, new MessagePackReader(bytes).NextMessagePackType);
    }

    public static TheoryData<string> TypelessOptions => new() { "typeless-default", "typeless-contractless", "typeless-object-resolver", "composite-typeless-first" };

    [Theory]
    [MemberData(nameof(TypelessOptions))]
    public void Constructor_TypelessOptions_ThrowsArgumentException(string kind)
    {
        var options = kind switch
        {
            "typeless-default" => MessagePackSerializer.Typeless.DefaultOptions,
            "typeless-contractless" => TypelessContractlessStandardResolver.Options,
            "typeless-object-resolver" => MessagePackSerializerOptions.Standard.WithResolver(TypelessObjectResolver.Instance),
            "composite-typeless-first" => MessagePackSerializerOptions.Standard.WithResolver(
                CompositeResolver.Create(TypelessObjectResolver.Instance, ContractlessStandardResolver.Instance)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var ex = Assert.Throws<ArgumentException>(() => new MessagePackCodec(options));

        Assert.Equal("options", ex.ParamName);
        Assert.Contains("Typeless", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseMessagePack_TypelessOptions_ThrowsAtRegistration()
    {
        var services = new ServiceCollection();
        var builder = services.AddCacheSerial();

        Assert.Throws<ArgumentException>(() => builder.UseMessagePack(MessagePackSerializer.Typeless.DefaultOptions));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Options_AlwaysUntrustedDataSecurity(bool passTrusted)
    {
        var codec = passTrusted
            ? new MessagePackCodec(ContractlessStandardResolver.Options.WithSecurity(MessagePackSecurity.TrustedData))
            : new MessagePackCodec();

        Assert.Same(MessagePackSecurity.UntrustedData, codec.Options.Security);
    }

    [Fact]
    public void Deserialize_HostileDeepNesting_IsRefused()
    {
        var writer = new ArrayBufferWriter<byte>();
        var mp = new MessagePackWriter(writer);
        for (var i = 0; i < 10_000; i++)
        {
            mp.WriteArrayHeader(1);
        }

        mp.WriteNil();
        mp.Flush();

        Assert.ThrowsAny<Exception>(() => MessagePackCodec.Default.Deserialize<object>(new ReadOnlySequence<byte>(writer.WrittenMemory)));
    }

    [Fact]
    public void Lz4_CompressesLargeRepetitiveValues()
    {
        var plain = Write(MessagePackCodec.Default, CodecSamples.LargeCatalogue());
        var compressed = Write(new MessagePackCodec(useLz4: true), CodecSamples.LargeCatalogue());

        Assert.True(plain.Length > 400_000, $"the large sample is {plain.Length} bytes");
        Assert.True(compressed.Length < plain.Length / 2, $"{compressed.Length} compressed vs {plain.Length} plain");
        Assert.Equal(MessagePackCompression.Lz4BlockArray, new MessagePackCodec(useLz4: true).Options.Compression);
        Assert.Equal(MessagePackCompression.None, MessagePackCodec.Default.Options.Compression);
    }

    [Fact]
    public void Lz4Codec_ReadsUncompressedPayloads()
    {
        var plain = Write(MessagePackCodec.Default, CodecSamples.LargeCatalogue());

        var copy = new MessagePackCodec(useLz4: true).Deserialize<Catalogue>(plain);

        Assert.Equivalent(CodecSamples.LargeCatalogue(), copy, strict: true);
    }

    [Fact]
    public void PlainCodec_CannotReadLz4Payloads()
    {
        var compressed = Write(new MessagePackCodec(useLz4: true), CodecSamples.LargeCatalogue());

        Assert.ThrowsAny<Exception>(() => MessagePackCodec.Default.Deserialize<Catalogue>(compressed));
    }

    [Fact]
    public async Task PlainCache_ReadingLz4Entry_IsMiss()
    {
        var store = InMemoryStores.Create();
        using var lz4 = new CacheHarness(store, build: b => b.UseMessagePack(useLz4: true));
        using var plain = new CacheHarness(store, build: b => b.UseMessagePack(), prefix: lz4.Prefix);
        await lz4.Cache.SetAsync("k", CodecSamples.LargeCatalogue(), cancellationToken: Ct);

        var result = await plain.Cache.TryGetAsync<Catalogue>("k", cancellationToken: Ct);

        Assert.False(result.HasValue);
        Assert.NotEmpty(plain.LogRecords(2001));
    }

    [Fact]
    public void Serialize_TypeWithoutFormatterUnderStandardResolver_Throws()
    {
        var codec = new MessagePackCodec(MessagePackSerializerOptions.Standard);

        Assert.ThrowsAny<Exception>(() => Write(codec, new OrderLine { Sku = "A" }));
    }

    private static T RoundTrip<T>(MessagePackCodec codec, T value) =>
        codec.Deserialize<T>(Write(codec, value));

    private static ReadOnlySequence<byte> Write<T>(MessagePackCodec codec, T value)
    {
        var writer = new ArrayBufferWriter<byte>();
        codec.Serialize(value, writer);
        return new ReadOnlySequence<byte>(writer.WrittenMemory);
    }
}

[MessagePackObject]
public sealed class AttributedItem
{
    [Key(0)]
    public int Id { get; set; }

    [Key(1)]
    public string? Name { get; set; }

    [IgnoreMember]
    public string? Secret { get; set; }
}

[MessagePackObject(keyAsPropertyName: true)]
public sealed class AttributedByName
{
    public string? Title { get; set; }

    public int Count { get; set; }
}

[MessagePackObject]
public sealed record AttributedRecord([property: Key(0)] int Id, [property: Key(1)] string Name);
