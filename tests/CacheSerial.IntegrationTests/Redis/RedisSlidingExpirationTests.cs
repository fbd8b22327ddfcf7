using System.Diagnostics;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;

namespace CacheSerial.IntegrationTests.Redis;

/// <summary>
/// What only Redis can show about sliding entries: the key itself is gone once the window passes without reads. The
/// behaviour (reads and refreshes keep entries alive, the cap wins) is the shared SlidingExpirationBehaviourTests, which
/// also run on Redis (RedisSlidingExpirationBehaviourTests).
/// </summary>
public sealed class RedisSlidingExpirationTests(RedisFixture redis) : RedisTestBase(redis)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task TryGetAsync_SlidingEntryNotReadForLongerThanItsWindow_IsMissAndRedisKeyIsGone()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), new CacheEntryOptions { SlidingExpiration = Window }, Ct);
        var written = Stopwatch.StartNew();

        await WaitUntilAsync(written, Window + TimeSpan.FromSeconds(1));

        Assert.False(await Database.KeyExistsAsync(RawKey(h, "k")));
        Assert.False((await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
    }
}
