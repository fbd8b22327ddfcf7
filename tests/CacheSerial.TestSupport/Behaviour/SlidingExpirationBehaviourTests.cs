using CacheSerial.TestSupport.Envelopes;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Sliding expiration is kept by the store (whole seconds on Redis), so it is tested on the real clock: reads and
/// refreshes keep an entry alive well past its window, and it expires once they stop. Margins are generous.
/// </summary>
public abstract class SlidingExpirationBehaviourTests : BehaviourTestBase
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(4);

    /// <summary>
    /// True (the default) when the store keeps an entry's sliding window itself (<c>IDistributedCache</c>), so plain reads
    /// and <c>RefreshAsync</c> renew it. A store that renews only by the window a read names (the native Redis store's
    /// GETEX) says false: the suite's reads then name the window, and the cache's default options carry it for refreshes.
    /// </summary>
    protected virtual bool StoreKeepsSlidingWindow => true;

    private CacheEntryOptions? ReadOptions => StoreKeepsSlidingWindow ? null : new() { SlidingExpiration = Window };

    private CacheHarness CreateSlidingHarness() => StoreKeepsSlidingWindow
        ? CreateHarness()
        : CreateHarness(o => o.DefaultEntryOptions = new() { SlidingExpiration = Window });

    [Fact]
    public async Task SlidingExpiration_ReadsKeepEntryAlive_ThenExpiresWithoutReads()
    {
        using var h = CreateSlidingHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = Window }, Ct);

        var hits = 0;
        for (var i = 0; i < 7; i++) // 3.5 s of reads: well past the 2 s window
        {
            await Task.Delay(Step, Ct);
            if ((await h.Cache.TryGetAsync<int>("k", ReadOptions, Ct)).HasValue)
            {
                hits++;
            }
        }

        await Task.Delay(Quiet, Ct);
        var after = await h.Cache.TryGetAsync<int>("k", ReadOptions, Ct);

        Assert.Equal(7, hits);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task SlidingExpiration_RefreshKeepsEntryAlive_ThenExpiresWithoutRefresh()
    {
        using var h = CreateSlidingHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = Window }, Ct);

        for (var i = 0; i < 7; i++)
        {
            await Task.Delay(Step, Ct);
            await h.Cache.RefreshAsync("k", Ct);
        }

        var alive = await h.Cache.TryGetAsync<int>("k", ReadOptions, Ct);
        await Task.Delay(Quiet, Ct);
        var after = await h.Cache.TryGetAsync<int>("k", ReadOptions, Ct);

        Assert.True(alive.HasValue);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task SlidingExpiration_WithExpirationCap_ExpiresAtCapDespiteReads()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromSeconds(30),
            Expiration = TimeSpan.FromMilliseconds(700),
        }, Ct);

        var before = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        var after = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.True(before.HasValue);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task SlidingExpiration_Only_HasNoLogicalExpiry()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }, Ct);

        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);

        Assert.Equal(0, envelope.ExpiresAtMs);
    }

    [Fact]
    public async Task RefreshAsync_MissingKey_Completes()
    {
        using var h = CreateHarness();

        await h.Cache.RefreshAsync("missing", Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("missing", cancellationToken: Ct)).HasValue);
    }
}
