using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;

namespace CacheSerial.IntegrationTests.Redis;

/// <summary>Get-or-create against a store that answers over the network, where ordering between callers is real.</summary>
public sealed class RedisGetOrCreateTests(RedisFixture redis) : RedisTestBase(redis)
{
    [Fact]
    public async Task GetOrCreateAsync_ManyCallersThenReadAtOnce_EveryReadIsAHit()
    {
        // Read-your-writes: when GetOrCreateAsync returns a created value, the entry is already in Redis. (Releasing the
        // callers before the write was sent let dozens of these 4,000 reads miss.)
        using var h = CreateHarness();
        var misses = 0;
        await Parallel.ForAsync(0, 16, Ct, async (worker, ct) =>
        {
            for (var i = 0; i < 250; i++)
            {
                var key = $"k{worker}-{i}";
                await h.Cache.GetOrCreateAsync(key, async _ => { await Task.Yield(); return new Sample(key, i); }, cancellationToken: ct);
                if (!(await h.Cache.TryGetAsync<Sample>(key, cancellationToken: ct)).HasValue)
                {
                    Interlocked.Increment(ref misses);
                }
            }
        });

        Assert.Equal(0, misses);
    }
}
