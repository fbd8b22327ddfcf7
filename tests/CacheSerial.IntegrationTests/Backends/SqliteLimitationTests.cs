using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport;

namespace CacheSerial.IntegrationTests.Backends;

/// <summary>
/// Where NeoSmart's SqliteCache differs from the other stores, and what CacheSerial still guarantees there. If a later
/// SqliteCache honours the cap, the first assertion fails: run StoreSlidingCapBehaviourTests on it instead.
/// </summary>
public sealed class SqliteLimitationTests(SqliteFixture sqlite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SlidingWithExpirationCap_StoreKeepsBytesPastCap_CacheStillMisses()
    {
        using var h = new CacheHarness(sqlite.Cache);
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromSeconds(4),
            Expiration = TimeSpan.FromSeconds(1),
        }, Ct);

        for (var i = 0; i < 8; i++) // 4 s of raw reads, each a store Get that slides the entry by 4 s: far past the 1 s cap
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
            await h.ReadRawAsync("k", Ct);
        }

        Assert.NotNull(await h.ReadRawAsync("k", Ct)); // the store ignored the absolute expiry
        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue); // the envelope did not
    }
}
