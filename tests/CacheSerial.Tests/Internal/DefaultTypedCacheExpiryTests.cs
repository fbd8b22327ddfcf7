using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Envelopes;
using CacheSerial.TestSupport.Fakes;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Internal;

/// <summary>
/// The cache's logical expiry on a fake clock, exact to the millisecond, and the physical lifetime it hands the store.
/// (The in-memory store keeps its own real clock, so its physical expiry never interferes at these lifetimes.)
/// </summary>
public sealed class DefaultTypedCacheExpiryTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ChaosDistributedCache _store = ChaosDistributedCache.Wrap(InMemoryStores.Create());
    private readonly CacheHarness _h;

    public DefaultTypedCacheExpiryTests()
    {
        _h = new CacheHarness(_store, timeProvider: _time);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _h.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(300)]
    [InlineData(10_000)]
    [InlineData(3_600_000)]
    public async Task Expiration_HitsUntilOneMillisecondBefore_MissesAtExpiry(int milliseconds)
    {
        await _h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(milliseconds) }, Ct);

        _time.Advance(TimeSpan.FromMilliseconds(milliseconds - 1));
        var before = await _h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var at = await _h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.True(before.HasValue);
        Assert.False(at.HasValue);
    }

    [Fact]
    public async Task AbsoluteExpiration_HitsUntilOneMillisecondBefore_MissesAtExpiry()
    {
        var at = _time.GetUtcNow().AddMilliseconds(2_345);
        await _h.Cache.SetAsync("k", 1, new CacheEntryOptions { AbsoluteExpiration = at }, Ct);

        _time.SetUtcNow(at.AddMilliseconds(-1));
        var before = await _h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        _time.SetUtcNow(at);
        var after = await _h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.True(before.HasValue);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task ExpiredEntry_IsMissAndDebugLogged()
    {
        await _h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1) }, Ct);
        _time.Advance(TimeSpan.FromSeconds(1));

        await _h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.Single(_h.LogRecords(2003));
        Assert.Empty(_h.LogRecords(2001)); // expiry is not a rejection
    }

    [Fact]
    public async Task ExpiredCachedNull_IsMiss()
    {
        await _h.Cache.SetAsync<string?>("k", null, new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1) }, Ct);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False((await _h.Cache.TryGetAsync<string?>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_AfterLogicalExpiry_RunsFactoryAndRewrites()
    {
        var runs = 0;
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(5) };
        ValueTask<int> Factory(CancellationToken _) => new(++runs);

        var first = await _h.Cache.GetOrCreateAsync("k", Factory, options, Ct);
        _time.Advance(TimeSpan.FromMilliseconds(4_999));
        var cached = await _h.Cache.GetOrCreateAsync("k", Factory, options, Ct);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var regenerated = await _h.Cache.GetOrCreateAsync("k", Factory, options, Ct);

        Assert.Equal(1, first);
        Assert.Equal(1, cached);
        Assert.Equal(2, regenerated);
        var envelope = EnvelopeBytes.Parse((await _h.ReadRawAsync("k", Ct))!);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), envelope.CreatedAtMs);
    }

    [Fact]
    public async Task SlidingOnly_NeverExpiresLogically()
    {
        await _h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) }, Ct);

        _time.Advance(TimeSpan.FromDays(3650));

        Assert.True((await _h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task DefaultLifetime_AppliesToCallsWithoutLifetime()
    {
        using var h = new CacheHarness(
            InMemoryStores.Create(),
            o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(30) },
            timeProvider: _time);
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Flags = CacheEntryFlags.None }, Ct);

        _time.Advance(TimeSpan.FromMilliseconds(29_999));
        var before = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var after = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.True(before.HasValue);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task FactoryContextExpiration_IsExactToTheMillisecond()
    {
        await _h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            ctx.Expiration = TimeSpan.FromMilliseconds(1_234);
            return new ValueTask<int>(1);
        }, cancellationToken: Ct);

        _time.Advance(TimeSpan.FromMilliseconds(1_233));
        var before = await _h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var after = await _h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.True(before.HasValue);
        Assert.False(after.HasValue);
    }

    [Theory]
    [InlineData(300, 1)]
    [InlineData(1_000, 1)]
    [InlineData(1_500, 2)]
    [InlineData(120_000, 120)]
    public async Task Store_ReceivesWholeSecondPhysicalTtlRoundedUp(int milliseconds, int seconds)
    {
        await _h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(milliseconds) }, Ct);

        var (key, options) = Assert.Single(_store.WriteLog);
        Assert.Equal(_h.StoreKey("k"), key);
        Assert.Equal(TimeSpan.FromSeconds(seconds), options.AbsoluteExpirationRelativeToNow);
        Assert.Null(options.SlidingExpiration);
    }

    [Fact]
    public async Task Store_ReceivesSlidingRoundedUp()
    {
        await _h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(2_100) }, Ct);

        var (_, options) = Assert.Single(_store.WriteLog);
        Assert.Equal(TimeSpan.FromSeconds(3), options.SlidingExpiration);
        Assert.Null(options.AbsoluteExpirationRelativeToNow);
    }

    [Fact]
    public async Task Store_AbsoluteExpiration_ReceivesRemainingTimeFromTheCacheClock()
    {
        await _h.Cache.SetAsync("k", 1, new CacheEntryOptions { AbsoluteExpiration = _time.GetUtcNow().AddSeconds(90) }, Ct);

        var (_, options) = Assert.Single(_store.WriteLog);
        Assert.Equal(TimeSpan.FromSeconds(90), options.AbsoluteExpirationRelativeToNow);
        Assert.Null(options.AbsoluteExpiration);
    }

    [Fact]
    public async Task Envelope_RecordsCreatedAtAndExpiryFromTheCacheClock()
    {
        await _h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(1_500) }, Ct);

        var envelope = EnvelopeBytes.Parse((await _h.ReadRawAsync("k", Ct))!);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), envelope.CreatedAtMs);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds() + 1_500, envelope.ExpiresAtMs);
    }

    [Fact]
    public async Task SetAsync_AbsoluteAtNow_DoesNotWriteAndLogs3002()
    {
        await _h.Cache.SetAsync("k", 1, new CacheEntryOptions { AbsoluteExpiration = _time.GetUtcNow() }, Ct);

        Assert.Empty(_store.WriteLog);
        Assert.Single(_h.LogRecords(3002));
    }
}
