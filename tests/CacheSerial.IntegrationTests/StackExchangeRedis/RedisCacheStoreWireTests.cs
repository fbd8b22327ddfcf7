using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Envelopes;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>What the native store leaves in Redis: one plain string per entry, with the exact lifetime as its TTL.</summary>
public sealed class RedisCacheStoreWireTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    [Fact]
    public async Task SetAsync_Entry_IsPlainRedisStringHoldingTheEnvelope()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct);

        Assert.Equal(RedisType.String, await Database.KeyTypeAsync(RawKey(h, "k")));
        var raw = (byte[]?)await Database.StringGetAsync(RawKey(h, "k"));
        Assert.NotNull(raw);
        Assert.True(EnvelopeBytes.Parse(raw).IsWellFormed);
    }

    [Fact]
    public async Task SetAsync_SubSecondExpiration_KeyTtlIsExactMillisecondsNotWholeSeconds()
    {
        using var h = CreateHarness();
        var ttl = TimeSpan.FromMilliseconds(90_500); // rounding up to seconds would give 91 000 ms

        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = ttl }, Ct);
        var pttl = await Database.KeyTimeToLiveAsync(RawKey(h, "k"));

        Assert.NotNull(pttl);
        Assert.InRange(pttl.Value, TimeSpan.FromMilliseconds(1), ttl);
    }

    [Fact]
    public async Task SetAsync_SlidingShorterThanExpiration_KeyTtlIsTheSlidingWindow()
    {
        using var h = CreateHarness();

        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), SlidingExpiration = TimeSpan.FromSeconds(30) }, Ct);
        var pttl = await Database.KeyTimeToLiveAsync(RawKey(h, "k"));

        Assert.NotNull(pttl);
        Assert.InRange(pttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task TryGetAsync_ReadNamingSlidingExpiration_RenewsKeyTtl()
    {
        using var h = CreateHarness();
        var sliding = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) };
        await h.Cache.SetAsync("k", 1, sliding, Ct);
        Assert.True(await Database.KeyExpireAsync(RawKey(h, "k"), TimeSpan.FromSeconds(5))); // shortened instead of waiting

        var read = await h.Cache.TryGetAsync<int>("k", sliding, Ct);
        var pttl = await Database.KeyTimeToLiveAsync(RawKey(h, "k"));

        Assert.True(read.HasValue);
        Assert.NotNull(pttl);
        Assert.InRange(pttl.Value, TimeSpan.FromSeconds(5.001), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task TryGetAsync_ReadWithoutSlidingExpiration_LeavesKeyTtl()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }, Ct);
        Assert.True(await Database.KeyExpireAsync(RawKey(h, "k"), TimeSpan.FromSeconds(5)));

        var read = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        var pttl = await Database.KeyTimeToLiveAsync(RawKey(h, "k"));

        Assert.True(read.HasValue);
        Assert.NotNull(pttl);
        Assert.InRange(pttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task RefreshAsync_CacheWithDefaultSliding_RenewsKeyTtl()
    {
        using var h = CreateHarness(o => o.DefaultEntryOptions = new() { SlidingExpiration = TimeSpan.FromMinutes(1) });
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        Assert.True(await Database.KeyExpireAsync(RawKey(h, "k"), TimeSpan.FromSeconds(5)));

        await h.Cache.RefreshAsync("k", Ct);
        var pttl = await Database.KeyTimeToLiveAsync(RawKey(h, "k"));

        Assert.NotNull(pttl);
        Assert.InRange(pttl.Value, TimeSpan.FromSeconds(5.001), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task RefreshAsync_CacheWithoutDefaultSliding_LeavesKeyTtl()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }, Ct);
        Assert.True(await Database.KeyExpireAsync(RawKey(h, "k"), TimeSpan.FromSeconds(5)));

        await h.Cache.RefreshAsync("k", Ct);
        var pttl = await Database.KeyTimeToLiveAsync(RawKey(h, "k"));

        Assert.NotNull(pttl);
        Assert.InRange(pttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task RemoveAsync_Entry_DeletesTheKey()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        await h.Cache.RemoveAsync("k", Ct);

        Assert.False(await Database.KeyExistsAsync(RawKey(h, "k")));
    }

    [Fact]
    public async Task SetAsync_KeyHoldsARedisCacheHash_ReadIsMissThenWriteReplacesIt()
    {
        using var h = CreateHarness(o => o.CircuitBreakerFailureThreshold = 1);
        // What RedisCache (AddStackExchangeRedisCache) leaves: a hash. GET fails with WRONGTYPE: a miss, and SET replaces it.
        await Database.HashSetAsync(RawKey(h, "k"), [new HashEntry("data", "old"), new HashEntry("sldexp", -1)]);

        var read = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        await h.Cache.SetAsync("k", new Sample("fresh", 1), cancellationToken: Ct);
        var after = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.True(after.HasValue);
        Assert.Equal(new Sample("fresh", 1), after.Value);
        Assert.Equal(RedisType.String, await Database.KeyTypeAsync(RawKey(h, "k")));
        Assert.Equal(CacheStoreState.Healthy, ((ICacheStoreHealth)h.Cache).State);
    }
}
