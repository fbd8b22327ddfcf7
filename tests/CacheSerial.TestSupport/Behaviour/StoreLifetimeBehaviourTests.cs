namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// What the store itself does with the physical lifetime CacheSerial hands it, read below the envelope (raw bytes):
/// the other suites see a miss either way, because the envelope's logical expiry is enforced on read. Only outcomes are
/// asserted, after generous waits.
/// </summary>
public abstract class StoreLifetimeBehaviourTests : BehaviourTestBase
{
    [Fact]
    public async Task Expiration_StoreDropsBytesAfterPhysicalExpiry()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1) }, Ct);

        var before = await h.ReadRawAsync("k", Ct);
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        var after = await h.ReadRawAsync("k", Ct);

        Assert.NotNull(before);
        Assert.Null(after);
    }

    [Fact]
    public async Task SlidingExpiration_StoreDropsBytesWithoutReads()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(1) }, Ct);

        var before = await h.ReadRawAsync("k", Ct);
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        var after = await h.ReadRawAsync("k", Ct);

        Assert.NotNull(before);
        Assert.Null(after);
    }

    [Fact]
    public async Task RemoveAsync_StoreHasNoBytes()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) }, Ct);
        var before = await h.ReadRawAsync("k", Ct);

        await h.Cache.RemoveAsync("k", Ct);

        Assert.NotNull(before);
        Assert.Null(await h.ReadRawAsync("k", Ct));
    }
}
