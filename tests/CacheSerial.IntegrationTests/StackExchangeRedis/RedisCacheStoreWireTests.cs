using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Envelopes;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>What the native store leaves in Redis: one plain string per entry, with the exact lifetime as its TTL.</summary>
public sealed class RedisCacheStoreWireTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    private static readonly CacheEntryOptions Sliding = new() { SlidingExpiration = TimeSpan.FromMinutes(1) };
    private static readonly TimeSpan Shortened = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Stores "k" sliding by a minute, shortens its TTL to 5 s with PEXPIRE (instead of waiting for it to run down), runs
    /// <paramref name="act"/> and returns the key's TTL: above 5 s only if the act renewed it.
    /// </summary>
    private async Task<TimeSpan> TtlAfterShorteningAsync(CacheHarness h, Func<Task> act)
    {
        await h.Cache.SetAsync("k", 1, Sliding, Ct);
        Assert.True(await Database.KeyExpireAsync(NativeKey(h, "k"), Shortened));

        await act();

        var pttl = await Database.KeyTimeToLiveAsync(NativeKey(h, "k"));
        Assert.NotNull(pttl);
        return pttl.Value;
    }

    [Fact]
    public async Task SetAsync_Entry_IsPlainRedisStringHoldingTheEnvelope()
    {
        using var h = CreateNativeHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct);

        Assert.Equal(RedisType.String, await Database.KeyTypeAsync(NativeKey(h, "k")));
        var raw = (byte[]?)await Database.StringGetAsync(NativeKey(h, "k"));
        Assert.NotNull(raw);
        Assert.True(EnvelopeBytes.Parse(raw).IsWellFormed);
    }

    [Fact]
    public async Task SetAsync_SubSecondExpiration_KeyTtlIsExactMillisecondsNotWholeSeconds()
    {
        using var h = CreateNativeHarness();
        var ttl = TimeSpan.FromMilliseconds(90_500); // rounding up to seconds would give 91 000 ms

        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = ttl }, Ct);
        var pttl = await Database.KeyTimeToLiveAsync(NativeKey(h, "k"));

        Assert.NotNull(pttl);
        Assert.InRange(pttl.Value, TimeSpan.FromMilliseconds(1), ttl);
    }

    [Fact]
    public async Task SetAsync_SlidingShorterThanExpiration_KeyTtlIsTheSlidingWindow()
    {
        using var h = CreateNativeHarness();

        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), SlidingExpiration = TimeSpan.FromSeconds(30) }, Ct);
        var pttl = await Database.KeyTimeToLiveAsync(NativeKey(h, "k"));

        Assert.NotNull(pttl);
        Assert.InRange(pttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task TryGetAsync_ReadNamingSlidingExpiration_RenewsKeyTtl()
    {
        using var h = CreateNativeHarness();

        var pttl = await TtlAfterShorteningAsync(h, async () => Assert.True((await h.Cache.TryGetAsync<int>("k", Sliding, Ct)).HasValue));

        Assert.InRange(pttl, TimeSpan.FromSeconds(5.001), Sliding.SlidingExpiration!.Value);
    }

    [Fact]
    public async Task TryGetAsync_ReadWithoutSlidingExpiration_LeavesKeyTtl()
    {
        using var h = CreateNativeHarness();

        var pttl = await TtlAfterShorteningAsync(h, async () => Assert.True((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue));

        Assert.InRange(pttl, TimeSpan.FromMilliseconds(1), Shortened);
    }

    [Fact]
    public async Task RefreshAsync_CacheWithDefaultSliding_RenewsKeyTtl()
    {
        using var h = CreateNativeHarness(o => o.DefaultEntryOptions = Sliding);

        var pttl = await TtlAfterShorteningAsync(h, () => h.Cache.RefreshAsync("k", Ct).AsTask());

        Assert.InRange(pttl, TimeSpan.FromSeconds(5.001), Sliding.SlidingExpiration!.Value);
    }

    [Fact]
    public async Task RefreshAsync_CacheWithoutDefaultSliding_LeavesKeyTtl()
    {
        using var h = CreateNativeHarness();

        var pttl = await TtlAfterShorteningAsync(h, () => h.Cache.RefreshAsync("k", Ct).AsTask());

        Assert.InRange(pttl, TimeSpan.FromMilliseconds(1), Shortened);
    }

    [Fact]
    public async Task TryGetAsync_SlidingReadOfCappedEntry_BytesOutliveTheCapButTheCacheMissesAtIt()
    {
        // A known limit (docs/backends.md): GETEX renews by the window and cannot know the entry's absolute cap.
        using var h = CreateNativeHarness();
        var options = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(30), Expiration = TimeSpan.FromMilliseconds(1500) };
        await h.Cache.SetAsync("k", 1, options, Ct);

        var before = await h.Cache.TryGetAsync<int>("k", options, Ct);
        var renewed = await Database.KeyTimeToLiveAsync(NativeKey(h, "k"));
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        var after = await h.Cache.TryGetAsync<int>("k", options, Ct);

        Assert.True(before.HasValue);
        Assert.NotNull(renewed);
        Assert.InRange(renewed.Value, TimeSpan.FromMilliseconds(1501), TimeSpan.FromSeconds(30)); // past the 1.5 s cap
        Assert.False(after.HasValue); // the envelope's logical expiry
        Assert.True(await Database.KeyExistsAsync(NativeKey(h, "k"))); // the bytes are still there
    }

    [Fact]
    public async Task RemoveAsync_Entry_DeletesTheKey()
    {
        using var h = CreateNativeHarness();
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        await h.Cache.RemoveAsync("k", Ct);

        Assert.False(await Database.KeyExistsAsync(NativeKey(h, "k")));
    }

    [Fact]
    public async Task SetAsync_KeyHoldsARedisCacheHash_ReadIsMissThenWriteReplacesIt()
    {
        using var h = CreateNativeHarness(o => o.CircuitBreakerFailureThreshold = 1);
        // What RedisCache (AddStackExchangeRedisCache) leaves: a hash. GET fails with WRONGTYPE: a miss, and SET replaces it.
        await Database.HashSetAsync(NativeKey(h, "k"), [new HashEntry("data", "old"), new HashEntry("sldexp", -1)]);

        var read = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        await h.Cache.SetAsync("k", new Sample("fresh", 1), cancellationToken: Ct);
        var after = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.True(after.HasValue);
        Assert.Equal(new Sample("fresh", 1), after.Value);
        Assert.Equal(RedisType.String, await Database.KeyTypeAsync(NativeKey(h, "k")));
        Assert.Equal(CacheStoreState.Healthy, ((ICacheStoreHealth)h.Cache).State);
    }
}
