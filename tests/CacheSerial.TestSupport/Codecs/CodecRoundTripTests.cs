using System.Buffers;
using System.Globalization;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSerial.TestSupport.Codecs;

/// <summary>
/// Round trips through one codec, both directly (<see cref="ICacheCodec.Serialize{T}"/> then
/// <see cref="ICacheCodec.Deserialize{T}"/>, from one segment and from many) and through a cache using it as its default
/// codec. Subclasses supply the codec; <see cref="CreateStore"/> is an in-memory store unless overridden.
/// </summary>
public abstract class CodecRoundTripTests
{
    protected abstract ICacheCodec Codec { get; }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<int> Ints => new() { 0, 1, -1, 42, int.MaxValue, int.MinValue };

    public static TheoryData<long> Longs => new() { 0L, long.MaxValue, long.MinValue, 1L << 40 };

    public static TheoryData<double> Doubles => new() { 0d, 0.1, -2.5, 1e300, -1e-300, double.Epsilon, Math.PI };

    public static TheoryData<string> Strings => new()
    {
        "hello",
        "ünïcödé 鍵 \uD83D\uDE00",
        "quote \" backslash \\ slash / newline \n tab \t nul \u0000",
        "<script>&amp;</script>",
    };

    public static TheoryData<string> Decimals => new()
    {
        "0",
        "1.5",
        "-1.50",
        "1234.5678",
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "0.0000000000000000000000000001",
    };

    protected virtual IDistributedCache CreateStore() => new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));

    [Fact]
    public void Name_IsPrintableAsciiUpTo64Characters()
    {
        Assert.InRange(Codec.Name.Length, 1, 64);
        Assert.All(Codec.Name, c => Assert.InRange(c, '!', '~'));
    }

    [Theory]
    [MemberData(nameof(Ints))]
    public Task Int_RoundTrips(int value) => RoundTripAsync(value);

    [Theory]
    [MemberData(nameof(Longs))]
    public Task Long_RoundTrips(long value) => RoundTripAsync(value);

    [Theory]
    [MemberData(nameof(Doubles))]
    public Task Double_RoundTrips(double value) => RoundTripAsync(value);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public Task Bool_RoundTrips(bool value) => RoundTripAsync(value);

    [Theory]
    [MemberData(nameof(Strings))]
    public Task String_RoundTrips(string value) => RoundTripAsync(value);

    [Fact]
    public Task EmptyString_RoundTrips() => RoundTripAsync(string.Empty);

    [Fact]
    public Task LongString_RoundTrips() => RoundTripAsync(new string('z', 100_000));

    [Theory]
    [MemberData(nameof(Decimals))]
    public Task Decimal_RoundTrips(string text) => RoundTripAsync(decimal.Parse(text, CultureInfo.InvariantCulture));

    [Fact]
    public Task Decimal_KeepsScale() =>
        RoundTripAsync(1.500m, (expected, actual) => Assert.Equal(expected.Scale, actual.Scale));

    [Fact]
    public Task DateTimeOffset_RoundTripsWithOffsetAndTicks() =>
        RoundTripAsync(
            new DateTimeOffset(2025, 12, 31, 23, 59, 59, 999, TimeSpan.FromMinutes(-330)).AddTicks(1234),
            (expected, actual) =>
            {
                Assert.Equal(expected.UtcTicks, actual.UtcTicks);
                Assert.Equal(expected.Offset, actual.Offset);
            });

    [Fact]
    public Task DateTimeOffset_MinAndMaxUtc_RoundTrip() =>
        Task.WhenAll(RoundTripAsync(DateTimeOffset.MinValue), RoundTripAsync(DateTimeOffset.MaxValue));

    [Fact]
    public Task Guid_RoundTrips() => RoundTripAsync(new Guid("6f9619ff-8b86-d011-b42d-00cf4fc964ff"));

    [Fact]
    public Task EmptyGuid_RoundTrips() => RoundTripAsync(Guid.Empty);

    [Theory]
    [InlineData(Colour.Red)]
    [InlineData(Colour.Blue)]
    [InlineData((Colour)99)]
    public Task Enum_RoundTrips(Colour value) => RoundTripAsync(value);

    [Fact]
    public Task FlagsEnum_RoundTrips() => RoundTripAsync(Permissions.Read | Permissions.Delete);

    [Fact]
    public Task Record_RoundTrips() => RoundTripAsync(CodecSamples.Person());

    [Fact]
    public Task Record_WithNullMember_RoundTrips() => RoundTripAsync(CodecSamples.Person() with { Home = null });

    [Fact]
    public Task ClassWithNestedCollectionsAndDictionaries_RoundTrips() => RoundTripAsync(CodecSamples.Order());

    [Fact]
    public Task ClassWithEmptyCollections_RoundTrips() => RoundTripAsync(new Order());

    [Fact]
    public Task ValueTuple_RoundTrips() => RoundTripAsync((42, "answer"));

    [Fact]
    public Task ValueTupleWithCollectionAndEnum_RoundTrips() => RoundTripAsync(("list", new List<int> { 3, 2, 1 }, Colour.Green));

    [Fact]
    public Task NestedValueTuple_RoundTrips() => RoundTripAsync(((1, 2), "outer"));

    [Fact]
    public Task IntArray_RoundTrips() => RoundTripAsync(new[] { 1, 2, 3 });

    [Fact]
    public Task StringArray_RoundTrips() => RoundTripAsync(new[] { "a", string.Empty, "c" });

    [Fact]
    public Task RecordArray_RoundTrips() => RoundTripAsync(new[] { CodecSamples.Person(), CodecSamples.Person() with { Name = "Bob" } });

    [Fact]
    public Task ListOfRecords_RoundTrips() => RoundTripAsync(new List<Person> { CodecSamples.Person() });

    [Fact]
    public Task EmptyList_RoundTrips() => RoundTripAsync(new List<Person>());

    [Fact]
    public Task DictionaryOfInts_RoundTrips() => RoundTripAsync(new Dictionary<string, int> { ["one"] = 1, ["Two"] = 2, [string.Empty] = 0 });

    [Fact]
    public Task DictionaryOfRecords_RoundTrips() => RoundTripAsync(new Dictionary<string, Person> { ["ada"] = CodecSamples.Person() });

    [Fact]
    public Task NullableIntWithValue_RoundTrips() => RoundTripAsync<int?>(5);

    [Fact]
    public async Task LargeObject_About512KB_RoundTrips()
    {
        var value = CodecSamples.LargeCatalogue();

        await RoundTripAsync(value);
    }

    [Fact]
    public async Task NullReference_ThroughCache_IsCachedNull()
    {
        using var h = CreateCacheHarness();

        await h.Cache.SetAsync<Person?>("k", null, cancellationToken: Ct);
        var result = await h.Cache.TryGetAsync<Person?>("k", cancellationToken: Ct);

        Assert.True(result.HasValue);
        Assert.Null(result.Value);
    }

    [Fact]
    public async Task NullNullableValueType_ThroughCache_IsCachedNull()
    {
        using var h = CreateCacheHarness();

        await h.Cache.SetAsync<int?>("k", null, cancellationToken: Ct);
        var result = await h.Cache.TryGetAsync<int?>("k", cancellationToken: Ct);

        Assert.True(result.HasValue);
        Assert.Null(result.Value);
    }

    [Fact]
    public async Task ThroughCache_EnvelopeNamesTheCodec()
    {
        using var h = CreateCacheHarness();

        await h.Cache.SetAsync("k", CodecSamples.Person(), cancellationToken: Ct);

        var envelope = Envelopes.EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);
        Assert.Equal(Codec.Name, envelope.CodecName);
    }

    [Fact]
    public void Deserialize_Garbage_Throws()
    {
        var garbage = new ReadOnlySequence<byte>(new byte[] { 0xC1, 0x7B, 0xFF, 0x00, 0x22 });

        Assert.ThrowsAny<Exception>(() => Codec.Deserialize<Person>(garbage));
    }

    [Fact]
    public void Deserialize_TruncatedPayload_Throws()
    {
        var writer = new ArrayBufferWriter<byte>();
        Codec.Serialize(CodecSamples.Order(), writer);
        var truncated = new ReadOnlySequence<byte>(writer.WrittenMemory[..(writer.WrittenCount / 2)]);

        Assert.ThrowsAny<Exception>(() => Codec.Deserialize<Order>(truncated));
    }

    [Fact]
    public void Serialize_AppendsToExistingContent()
    {
        var writer = new ArrayBufferWriter<byte>();
        writer.Write(new byte[] { 1, 2, 3 });

        Codec.Serialize(CodecSamples.Person(), writer);

        Assert.Equal(new byte[] { 1, 2, 3 }, writer.WrittenSpan[..3].ToArray());
        Assert.Equivalent(CodecSamples.Person(), Codec.Deserialize<Person>(new ReadOnlySequence<byte>(writer.WrittenMemory[3..])), strict: true);
    }

    [Fact]
    public async Task Serialize_ConcurrentlyFromManyThreads_EachRoundTrips()
    {
        var tasks = Enumerable.Range(0, 64).Select(i => Task.Run(() =>
        {
            var value = CodecSamples.Person() with { Age = i };
            for (var j = 0; j < 20; j++)
            {
                var writer = new ArrayBufferWriter<byte>();
                Codec.Serialize(value, writer);
                Assert.Equal(value, Codec.Deserialize<Person>(new ReadOnlySequence<byte>(writer.WrittenMemory)));
            }
        }, Ct));

        await Task.WhenAll(tasks);
    }

    protected CacheHarness CreateCacheHarness(bool memoryTier = false) => new(CreateStore(), ConfigureOptions, build: b =>
    {
        ConfigureStore(b);
        b.UseCodec(Codec);
        if (memoryTier)
        {
            b.UseMemoryTier();
        }
    });

    /// <summary>Changes the options of every cache the suite builds (for example to turn compression on).</summary>
    protected virtual void ConfigureOptions(CacheSerialOptions options)
    {
    }

    /// <summary>Gives the cache a store of its own (for example <c>UseStackExchangeRedis</c>) instead of <see cref="CreateStore"/>'s through the adapter.</summary>
    protected virtual void ConfigureStore(ICacheSerialBuilder builder)
    {
    }

    /// <summary>Round-trips <paramref name="value"/> directly (one and many segments), through a cache, and through a
    /// cache's memory tier (the payload it keeps from a store read and from a write, decoded per hit).</summary>
    protected async Task RoundTripAsync<T>(T value, Action<T, T>? assertEqual = null)
    {
        assertEqual ??= (expected, actual) => Assert.Equivalent(expected, actual, strict: true);

        var writer = new ArrayBufferWriter<byte>();
        Codec.Serialize(value, writer);
        Assert.True(writer.WrittenCount > 0, "the codec wrote nothing");

        assertEqual(value, Codec.Deserialize<T>(new ReadOnlySequence<byte>(writer.WrittenMemory)));
        assertEqual(value, Codec.Deserialize<T>(Sequences.Segmented(writer.WrittenMemory, Math.Max(1, writer.WrittenCount / 7))));

        using var h = CreateCacheHarness();
        await h.Cache.SetAsync("k", value, cancellationToken: Ct);
        var result = await h.Cache.TryGetAsync<T>("k", cancellationToken: Ct);
        Assert.True(result.HasValue, "the cache did not return the value it stored");
        assertEqual(value, result.Value!);

        var created = await h.Cache.GetOrCreateAsync("fresh", _ => new ValueTask<T>(value), cancellationToken: Ct);
        assertEqual(value, created);
        var reread = await h.Cache.TryGetAsync<T>("fresh", cancellationToken: Ct);
        Assert.True(reread.HasValue);
        assertEqual(value, reread.Value!);

        using var m = CreateCacheHarness(memoryTier: true);
        await m.Cache.SetAsync("read", value, new CacheEntryOptions { Flags = CacheEntryFlags.SkipLocalWrite }, Ct);
        await m.Cache.SetAsync("written", value, cancellationToken: Ct);
        foreach (var key in (string[])["read", "read", "written"]) // the first read fills memory from the store
        {
            var fromMemory = await m.Cache.TryGetAsync<T>(key, cancellationToken: Ct);
            Assert.True(fromMemory.HasValue, $"the memory tier lost '{key}'");
            assertEqual(value, fromMemory.Value!);
        }
    }
}
