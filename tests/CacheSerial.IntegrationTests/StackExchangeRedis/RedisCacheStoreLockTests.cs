using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.StackExchangeRedis.Internal;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>The opt-in distributed lock: SET NX PX to take, compare-and-delete to release, the lease as a safety net.</summary>
public sealed class RedisCacheStoreLockTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    [Fact]
    public void DistributedLock_ByDefault_IsNull()
    {
        using var h = CreateNativeHarness();

        Assert.Null(StoreOf(h).DistributedLock);
    }

    [Fact]
    public void DistributedLock_TurnedOn_HasTheConfiguredWaitTimeout()
    {
        using var h = CreateNativeHarness(store: o =>
        {
            o.DistributedLock = true;
            o.LockWaitTimeout = TimeSpan.FromSeconds(3);
        });

        Assert.Equal(TimeSpan.FromSeconds(3), StoreOf(h).DistributedLock!.WaitTimeout);
    }

    [Fact]
    public async Task TryAcquireAsync_Free_ReturnsTokenStoredUnderLockKeyWithLease()
    {
        using var h = CreateNativeHarness(store: o => o.DistributedLock = true);
        var key = h.StoreKey("k");

        var token = await StoreOf(h).DistributedLock!.TryAcquireAsync(key, Ct);

        Assert.NotNull(token);
        Assert.Equal(token, (string?)await Database.StringGetAsync(key + "\u001Dlock"));
        Assert.InRange((await Database.KeyTimeToLiveAsync(key + "\u001Dlock"))!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));
        Assert.False(await Database.KeyExistsAsync(key)); // the entry's own key is untouched
    }

    [Fact]
    public async Task TryAcquireAsync_AlreadyHeld_ReturnsNull()
    {
        using var h = CreateNativeHarness(store: o => o.DistributedLock = true);
        var locks = StoreOf(h).DistributedLock!;
        var key = h.StoreKey("k");

        var first = await locks.TryAcquireAsync(key, Ct);
        var second = await locks.TryAcquireAsync(key, Ct);

        Assert.NotNull(first);
        Assert.Null(second);
    }

    [Fact]
    public async Task ReleaseAsync_WrongToken_KeepsTheLock()
    {
        using var h = CreateNativeHarness(store: o => o.DistributedLock = true);
        var locks = StoreOf(h).DistributedLock!;
        var key = h.StoreKey("k");
        var token = await locks.TryAcquireAsync(key, Ct);

        await locks.ReleaseAsync(key, "not-the-token", Ct);

        Assert.Equal(token, (string?)await Database.StringGetAsync(RedisCacheStoreLock.LockKey(key)));
        Assert.Null(await locks.TryAcquireAsync(key, Ct));
    }

    [Fact]
    public async Task ReleaseAsync_RightToken_DeletesTheLockSoItCanBeTakenAgain()
    {
        using var h = CreateNativeHarness(store: o => o.DistributedLock = true);
        var locks = StoreOf(h).DistributedLock!;
        var key = h.StoreKey("k");
        var token = await locks.TryAcquireAsync(key, Ct);

        await locks.ReleaseAsync(key, token!, Ct);

        Assert.False(await Database.KeyExistsAsync(RedisCacheStoreLock.LockKey(key)));
        Assert.NotNull(await locks.TryAcquireAsync(key, Ct));
    }

    [Fact]
    public async Task TryAcquireAsync_HolderNeverReleases_LockExpiresAtItsLease()
    {
        using var h = CreateNativeHarness(store: o =>
        {
            o.DistributedLock = true;
            o.LockLease = TimeSpan.FromMilliseconds(200);
            o.LockWaitTimeout = TimeSpan.FromMilliseconds(100);
        });
        var locks = StoreOf(h).DistributedLock!;
        var key = h.StoreKey("k");
        Assert.NotNull(await locks.TryAcquireAsync(key, Ct));

        var gone = false;
        for (var i = 0; i < 500 && !gone; i++) // bounded: at most ~10 s for a 200 ms lease
        {
            gone = !await Database.KeyExistsAsync(RedisCacheStoreLock.LockKey(key));
            if (!gone)
            {
                await Task.Delay(20, Ct);
            }
        }

        Assert.True(gone, "the lock outlived its lease");
        Assert.NotNull(await locks.TryAcquireAsync(key, Ct));
    }

    [Fact]
    public async Task TryAcquireAsync_TwoStoresOnOneServer_OnlyOneHolds()
    {
        using var a = CreateNativeHarness(store: o => o.DistributedLock = true);
        using var b = CreateNativeHarness(store: o => o.DistributedLock = true);
        var key = a.StoreKey("k");

        var first = await StoreOf(a).DistributedLock!.TryAcquireAsync(key, Ct);
        var second = await StoreOf(b).DistributedLock!.TryAcquireAsync(key, Ct);

        Assert.NotNull(first);
        Assert.Null(second);
    }
}
