namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Sliding expiration with an absolute cap, read below the envelope: the store itself must drop the bytes at the cap
/// even while reads keep sliding them. (CacheSerial's logical expiry makes such an entry a miss on any store; this
/// suite is about the bytes, for stores shared with other readers.)
/// </summary>
public abstract class StoreSlidingCapBehaviourTests : BehaviourTestBase
{
    [Fact]
    public async Task SlidingWithExpirationCap_StoreDropsBytesAtCapDespiteReads()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromSeconds(2),
            Expiration = TimeSpan.FromSeconds(2),
        }, Ct);

        var hits = 0;
        for (var i = 0; i < 10; i++) // 5 s of raw reads, each a store Get that slides the entry: well past the 2 s cap
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
            if (await h.ReadRawAsync("k", Ct) is not null)
            {
                hits++;
            }
        }

        Assert.InRange(hits, 1, 9); // alive at first, gone by the end
        Assert.Null(await h.ReadRawAsync("k", Ct));
    }
}
