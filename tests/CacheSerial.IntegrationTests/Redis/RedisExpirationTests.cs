using System.Diagnostics;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;

namespace CacheSerial.IntegrationTests.Redis;

/// <summary>
/// Relative, absolute and sub-second lifetimes on real Redis. RedisCache gives Redis whole seconds, so the physical TTL
/// is the logical one rounded up (never shorter, never zero) and the envelope's exact expiry decides on read.
/// Waits only move time forward; the assertions are about outcomes (hit, miss, key present, TTL bounds).
/// </summary>
public sealed class RedisExpirationTests(RedisFixture redis) : RedisTestBase(redis)
{
    // Servers keep TTLs in whole milliseconds from their own clock reading; allow that much rounding and no more than
    // a fraction of the half second or more that separates a rounded-up TTL from a truncated or exact one.
    private static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task SetAsync_RelativeExpiration_SetsWholeSecondRedisTtlAndExpires()
    {
        using var h = CreateHarness();
        var clock = Stopwatch.StartNew();
        await h.Cache.SetAsync("k", new Sample("a", 1), new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(1500) }, Ct);
        var hit = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        var ttl = await Database.KeyTimeToLiveAsync(RawKey(h, "k"));
        var measured = clock.Elapsed;

        Assert.True(hit.HasValue);
        Assert.Equal(new Sample("a", 1), hit.Value);
        Assert.NotNull(ttl);
        // 1.5 s is stored as EXPIRE 2: at most 2 s left, and at least 2 s minus the time spent since before the write.
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(2));
        Assert.True(ttl.Value + measured + ClockSlack >= TimeSpan.FromSeconds(2), $"Redis TTL {ttl.Value} + {measured} is under 2 s: not rounded up");

        var written = Stopwatch.StartNew();
        await WaitUntilAsync(written, TimeSpan.FromMilliseconds(2500));

        Assert.False((await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
        Assert.False(await Database.KeyExistsAsync(RawKey(h, "k")));
    }

    [Fact]
    public async Task SetAsync_AbsoluteExpiration_RedisTtlCoversItAndEntryExpires()
    {
        using var h = CreateHarness();
        var expiresAt = DateTimeOffset.UtcNow.AddMilliseconds(2000);
        await h.Cache.SetAsync("k", new Sample("a", 1), new CacheEntryOptions { AbsoluteExpiration = expiresAt }, Ct);
        var hit = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        var ttl = await Database.KeyTimeToLiveAsync(RawKey(h, "k"));
        var measuredAt = DateTimeOffset.UtcNow;

        Assert.True(hit.HasValue);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(2));
        // Redis must not drop the key before the absolute expiry (the physical expiry is at most measuredAt + ttl).
        Assert.True(measuredAt + ttl.Value + ClockSlack >= expiresAt, $"Redis expires the key before {expiresAt:O}");

        var remaining = expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(1200);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, Ct);
        }

        Assert.False((await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
        Assert.False(await Database.KeyExistsAsync(RawKey(h, "k")));
    }

    [Fact]
    public async Task SetAsync_SubSecondExpiration_HitAtOnceMissAfterIt()
    {
        using var h = CreateHarness();
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(400) };
        Stopwatch? clock = null;
        for (var attempt = 0; attempt < 5 && clock is null; attempt++)
        {
            var started = Stopwatch.StartNew();
            await h.Cache.SetAsync("k", new Sample("a", attempt), options, Ct);
            var read = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
            var ttl = await Database.KeyTimeToLiveAsync(RawKey(h, "k"));
            var measured = started.Elapsed;
            if (measured >= TimeSpan.FromMilliseconds(300))
            {
                continue; // this machine paused for most of the 400 ms: the read proves nothing; write again
            }

            Assert.True(read.HasValue, "a 400 ms entry read at once is a miss");
            Assert.Equal(new Sample("a", attempt), read.Value);

            // RedisCache would turn 400 ms into EXPIRE 0 (delete at once); CacheSerial gives Redis one whole second.
            Assert.NotNull(ttl);
            Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
            Assert.True(ttl.Value + measured + ClockSlack >= TimeSpan.FromSeconds(1), $"Redis TTL {ttl.Value} + {measured} is under 1 s");
            clock = started;
        }

        Assert.NotNull(clock); // five attempts each took 300 ms or more: the machine is too slow to observe a 400 ms entry
        await WaitUntilAsync(clock, TimeSpan.FromMilliseconds(1200));

        Assert.False((await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task TryGetAsync_SubSecondEntryStillInRedisAfterItsExpiry_IsMissFromTheEnvelope()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("old", 1), new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(400) }, Ct);
        var written = Stopwatch.StartNew();
        // Keep the Redis key past the logical expiry, as a Redis with coarse or late expiry would: only the envelope can tell.
        Assert.True(await Database.KeyPersistAsync(RawKey(h, "k")), "the entry was not in Redis");
        await WaitUntilAsync(written, TimeSpan.FromMilliseconds(700));

        Assert.True(await Database.KeyExistsAsync(RawKey(h, "k")));
        Assert.False((await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);

        var calls = 0;
        var value = await h.Cache.GetOrCreateAsync("k", _ => { calls++; return ValueTask.FromResult(new Sample("new", 2)); }, cancellationToken: Ct);

        Assert.Equal(new Sample("new", 2), value);
        Assert.Equal(1, calls);
        Assert.Equal(new Sample("new", 2), (await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).Value);
        Assert.NotNull(await Database.KeyTimeToLiveAsync(RawKey(h, "k"))); // the rewrite has a TTL again
    }

    [Fact]
    public async Task GetOrCreateAsync_EntryExpiredInRedis_RunsFactoryAgain()
    {
        using var h = CreateHarness();
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1) };
        var calls = 0;
        ValueTask<Sample> Factory(CancellationToken _) => ValueTask.FromResult(new Sample("v", Interlocked.Increment(ref calls)));

        var first = await h.Cache.GetOrCreateAsync("k", Factory, options, Ct);
        var written = Stopwatch.StartNew();
        var second = await h.Cache.GetOrCreateAsync("k", Factory, options, Ct);
        await WaitUntilAsync(written, TimeSpan.FromMilliseconds(1500));
        var third = await h.Cache.GetOrCreateAsync("k", Factory, options, Ct);

        Assert.Equal(new Sample("v", 1), first);
        Assert.Equal(first, second);
        Assert.Equal(new Sample("v", 2), third);
        Assert.Equal(2, calls);
    }
}
