using System.Text;
using System.Text.Json;
using CacheSerial.TestSupport.Fakes;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// <see cref="CacheEntryLayout.PlainJson"/>: the store holds the value's JSON text and nothing else, so services in any
/// language read and write entries with a JSON library; the envelope's checks are given up.
/// </summary>
public abstract class PlainJsonLayoutBehaviourTests : BehaviourTestBase
{
    [Fact]
    public async Task SetAsync_PlainJson_StoresTheBareJsonValue()
    {
        using var h = CreatePlain();

        await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct);
        var raw = await h.ReadRawAsync("k", Ct);

        Assert.NotNull(raw);
        Assert.Equal("""{"name":"a","number":1}""", Encoding.UTF8.GetString(raw));
    }

    [Fact]
    public async Task TryGetAsync_PlainJsonWrittenByAnotherService_IsRead()
    {
        using var h = CreatePlain();
        await h.WriteRawAsync("k", Encoding.UTF8.GetBytes("""{ "number": 7, "name": "from node" }"""), Ct);

        var read = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.Equal(new Sample("from node", 7), read.Value);
        Assert.False(read.IsStale);
    }

    [Fact]
    public async Task GetOrCreateAsync_PlainJson_StoresThenHits()
    {
        using var h = CreatePlain();
        var runs = new Counter();

        var first = await h.Cache.GetOrCreateAsync("k", Counting(runs, new Sample("x", 3)), cancellationToken: Ct);
        var second = await h.Cache.GetOrCreateAsync("k", Counting(runs, new Sample("y", 4)), cancellationToken: Ct);

        Assert.Equal(new Sample("x", 3), first);
        Assert.Equal(first, second);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task SetAsync_PlainJsonNull_StoredAsJsonNullAndReadAsCachedNull()
    {
        using var h = CreatePlain();

        await h.Cache.SetAsync<Sample?>("k", null, cancellationToken: Ct);
        var raw = await h.ReadRawAsync("k", Ct);
        var read = await h.Cache.TryGetAsync<Sample?>("k", cancellationToken: Ct);

        Assert.Equal("null", Encoding.UTF8.GetString(raw!));
        Assert.True(read.HasValue);
        Assert.Null(read.Value);
    }

    [Fact]
    public async Task TryGetAsync_PlainJsonNotJson_IsMissLoggedAsCodecError()
    {
        using var h = CreatePlain();
        await h.WriteRawAsync("k", [0x89, 0x43, 0x53, 0x45, 1, 2, 3], Ct);

        var read = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Contains(nameof(CacheEntryRejectReason.CodecError), Assert.Single(h.LogRecords(2001)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAsync_PlainJsonWithFailSafe_StoreKeepsOnlyTheLifetime()
    {
        // Without a logical expiry in the entry, bytes kept past their lifetime would be served as fresh.
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos, o => o.EntryLayout = CacheEntryLayout.PlainJson);

        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(30), FailSafe = true }, Ct);

        var (_, options) = Assert.Single(chaos.WriteLog);
        Assert.Equal(TimeSpan.FromSeconds(30), options.AbsoluteExpirationRelativeToNow);
    }

    [Fact]
    public async Task Expiration_PlainJson_StoreTtlEndsTheEntry()
    {
        using var h = CreatePlain();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1) }, Ct);

        var before = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        var after = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.Equal(1, before.Value);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task SetAsync_PlainJson_EveryByteIsValidJson()
    {
        using var h = CreatePlain();
        var value = new Dictionary<string, Sample> { ["é"] = new("ü\n\"", -5) };

        await h.Cache.SetAsync("k", value, cancellationToken: Ct);
        using var document = JsonDocument.Parse(await h.ReadRawAsync("k", Ct));

        Assert.Equal(-5, document.RootElement.GetProperty("é").GetProperty("number").GetInt32());
    }

    private CacheHarness CreatePlain() => CreateHarness(o => o.EntryLayout = CacheEntryLayout.PlainJson);
}
