using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>
/// The distributed stampede lock end to end on Redis: several caches, each on its own multiplexer (as several processes
/// would be), sharing one key space. With the lock, a cold key's factory runs once in total.
/// </summary>
public sealed class DistributedStampedeTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    private static readonly CacheEntryOptions Options = new() { Expiration = TimeSpan.FromMinutes(5) };

    [Fact]
    public async Task GetOrCreateAsync_ThousandCallersOnFourMultiplexersOneColdKey_FactoryRunsOnceInTotal()
    {
        const int Processes = 4;
        const int CallersPerProcess = 250;
        var prefix = CacheHarness.NewPrefix();
        var harnesses = Enumerable.Range(0, Processes)
            .Select(_ => new CacheHarness(new RedisStringView(Redis.Connection), build: b => b.UseStackExchangeRedis(Redis.Endpoint, o => o.DistributedLock = true), prefix: prefix))
            .ToArray();
        try
        {
            var (results, runs) = await DistributedStampede.RunAsync(harnesses.Select(h => h.Cache).ToArray(), CallersPerProcess, "cold", Options, Ct);

            Assert.Equal(1, runs);
            Assert.Single(results.Distinct());
            Assert.False(await Database.KeyExistsAsync(harnesses[0].StoreKey("cold") + "\u001Dlock")); // released after the write
            Assert.Equal(results[0], (await harnesses[3].Cache.TryGetAsync<string>("cold", Options, Ct)).Value);
        }
        finally
        {
            foreach (var h in harnesses)
            {
                h.Dispose();
            }
        }
    }
}
