using CacheSerial.TestSupport.Envelopes;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Sliding expiration is kept by the store (whole seconds on Redis), so it is tested on the real clock: reads and
/// refreshes keep an entry alive well past its window, and it expires once they stop. Margins are generous.
/// </summary>
/// <remarks>
/// The store's clock runs on while this process is not scheduled: on a loaded 2-core machine the test process's thread
/// pool was seen stalling for 4-15 s while other fixtures start, longer than the window. So each renewal is timed, and
/// an attempt in which two renewals were further apart than the window allows proves nothing and is run again
/// (<see cref="RenewalLog"/>); if every attempt stalled, the test fails saying so.
/// </remarks>
public abstract class SlidingExpirationBehaviourTests : BehaviourTestBase
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(4);

    // Renewals further apart than this may let the entry lapse through no fault of the cache (see remarks).
    private static readonly TimeSpan LongestFairGap = Window - TimeSpan.FromMilliseconds(250);
    private const int Attempts = 3;

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
        var (hits, after) = await WithoutStallsAsync(async (h, renewals) =>
        {
            await renewals.RenewAsync(() => h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = Window }, Ct).AsTask());

            var hits = 0;
            for (var i = 0; i < 7; i++) // 3.5 s of reads: well past the 2 s window
            {
                await Task.Delay(Step, Ct);
                if ((await renewals.RenewAsync(() => h.Cache.TryGetAsync<int>("k", ReadOptions, Ct).AsTask())).HasValue)
                {
                    hits++;
                }
            }

            await Task.Delay(Quiet, Ct);
            return (hits, await h.Cache.TryGetAsync<int>("k", ReadOptions, Ct));
        });

        Assert.Equal(7, hits);
        Assert.False(after.HasValue);
    }

    [Fact]
    public async Task SlidingExpiration_RefreshKeepsEntryAlive_ThenExpiresWithoutRefresh()
    {
        var (alive, after) = await WithoutStallsAsync(async (h, renewals) =>
        {
            await renewals.RenewAsync(() => h.Cache.SetAsync("k", 1, new CacheEntryOptions { SlidingExpiration = Window }, Ct).AsTask());

            for (var i = 0; i < 7; i++)
            {
                await Task.Delay(Step, Ct);
                await renewals.RenewAsync(() => h.Cache.RefreshAsync("k", Ct).AsTask());
            }

            var alive = await renewals.RenewAsync(() => h.Cache.TryGetAsync<int>("k", ReadOptions, Ct).AsTask());
            await Task.Delay(Quiet, Ct);
            return (alive, await h.Cache.TryGetAsync<int>("k", ReadOptions, Ct));
        });

        Assert.True(alive.HasValue);
        Assert.False(after.HasValue);
    }

    /// <summary>Runs <paramref name="attempt"/> on a fresh cache until one attempt's renewals were never too far apart.</summary>
    private async Task<TResult> WithoutStallsAsync<TResult>(Func<CacheHarness, RenewalLog, Task<TResult>> attempt)
    {
        var gaps = new List<TimeSpan>();
        for (var i = 0; i < Attempts; i++)
        {
            using var h = CreateSlidingHarness();
            var renewals = new RenewalLog();
            var result = await attempt(h, renewals);
            if (renewals.LongestGap <= LongestFairGap)
            {
                return result;
            }

            gaps.Add(renewals.LongestGap);
        }

        Assert.Fail($"In all {Attempts} attempts this process stalled between two renewals for longer than the window allows " +
            $"({string.Join(", ", gaps.Select(g => $"{g.TotalMilliseconds:0} ms"))}; fair: {LongestFairGap.TotalMilliseconds:0} ms): the machine is too loaded to judge.");
        return default!;
    }

    /// <summary>
    /// Times renewals: the entry cannot lapse between two of them if the later one ended within the window after the
    /// earlier one started (the store set the earlier TTL after it was sent and had the later one before it returned).
    /// </summary>
    private sealed class RenewalLog
    {
        private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
        private TimeSpan? _previousStart;

        public TimeSpan LongestGap { get; private set; }

        public async Task RenewAsync(Func<Task> renewal) => await RenewAsync(async () =>
        {
            await renewal();
            return true;
        });

        public async Task<T> RenewAsync<T>(Func<Task<T>> renewal)
        {
            var start = _watch.Elapsed;
            var result = await renewal();
            var end = _watch.Elapsed;
            if (_previousStart is { } previous && end - previous > LongestGap)
            {
                LongestGap = end - previous;
            }

            _previousStart = start;
            return result;
        }
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
