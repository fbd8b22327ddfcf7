using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Fail-safe, factory timeouts and eager refresh. The cache's clock is fake, so an entry's logical expiry passes when the
/// test says; the store keeps the bytes on its own (real) clock for the fail-safe duration. No waits on the real clock.
/// </summary>
public abstract class FailSafeBehaviourTests : BehaviourTestBase
{
    private static readonly CacheEntryOptions FailSafe = new() { Expiration = TimeSpan.FromMinutes(1), FailSafe = true };

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrowsWithStaleValue_ReturnsStaleValue()
    {
        const string key = "customer:secret-4003";
        var (h, time) = Create();
        using var _ = h;
        await h.Cache.SetAsync(key, "old", FailSafe, Ct);
        time.Advance(TimeSpan.FromMinutes(2));

        var value = await h.Cache.GetOrCreateAsync<string>(key, _ => throw new InvalidOperationException("db down"), FailSafe, Ct);

        Assert.Equal("old", value);
        var warning = Assert.Single(h.LogRecords(4003));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.DoesNotContain(key, warning.Message, StringComparison.Ordinal);
        Assert.Null(warning.Exception);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrowsWithoutStaleValue_ThrowsFactoryException()
    {
        var (h, _) = Create();
        using var __ = h;

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await h.Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("db down"), FailSafe, Ct));

        Assert.Equal("db down", ex.Message);
        Assert.False((await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_FailSafeOff_ExpiredEntryIsNotServed()
    {
        var (h, time) = Create();
        using var _ = h;
        var plain = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) };
        await h.Cache.SetAsync("k", "old", plain, Ct);
        time.Advance(TimeSpan.FromMinutes(2));

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await h.Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("db down"), plain, Ct));
    }

    [Fact]
    public async Task TryGetAsync_ExpiredFailSafeEntry_IsStaleHit()
    {
        var (h, time) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", "old", FailSafe, Ct);
        var fresh = await h.Cache.TryGetAsync<string>("k", FailSafe, Ct);
        time.Advance(TimeSpan.FromMinutes(2));

        var stale = await h.Cache.TryGetAsync<string>("k", FailSafe, Ct);
        var withoutFailSafe = await h.Cache.TryGetAsync<string>("k", new CacheEntryOptions { FailSafe = false }, Ct);

        Assert.False(fresh.IsStale);
        Assert.True(stale.HasValue);
        Assert.True(stale.IsStale);
        Assert.Equal("old", stale.Value);
        Assert.False(withoutFailSafe.HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactorySucceedsWithStaleValue_ReturnsAndStoresFreshValue()
    {
        var (h, time) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", "old", FailSafe, Ct);
        time.Advance(TimeSpan.FromMinutes(2));

        var value = await h.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("new"), FailSafe, Ct);
        var read = await h.Cache.TryGetAsync<string>("k", FailSafe, Ct);

        Assert.Equal("new", value);
        Assert.False(read.IsStale);
        Assert.Equal("new", read.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_AfterFailSafeActivation_FactoryThrottledUntilThrottleEnds()
    {
        var (h, time) = Create();
        using var _ = h;
        var options = FailSafe with { FailSafeThrottleDuration = TimeSpan.FromSeconds(30) };
        await h.Cache.SetAsync("k", "old", options, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        var runs = new Counter();
        Func<CancellationToken, ValueTask<string>> failing = _ =>
        {
            runs.Increment();
            throw new InvalidOperationException("db down");
        };

        var first = await h.Cache.GetOrCreateAsync("k", failing, options, Ct);
        var throttled = await h.Cache.GetOrCreateAsync("k", failing, options, Ct);
        time.Advance(TimeSpan.FromSeconds(31));
        var afterThrottle = await h.Cache.GetOrCreateAsync("k", failing, options, Ct);

        Assert.Equal(("old", "old", "old"), (first, throttled, afterThrottle));
        Assert.Equal(2, runs.Value);
        Assert.Single(h.LogRecords(4005));
    }

    [Fact]
    public async Task GetOrCreateAsync_ContextFailWithStaleValue_ReturnsStaleAndDiscardsResult()
    {
        var (h, time) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", "old", FailSafe, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        string? seen = null;

        var value = await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            ctx.TryGetStaleValue(out seen);
            ctx.Fail("upstream returned 503");
            return new ValueTask<string>("partial");
        }, FailSafe, Ct);

        Assert.Equal("old", value);
        Assert.Equal("old", seen);
        Assert.True((await h.Cache.TryGetAsync<string>("k", FailSafe, Ct)).IsStale);
    }

    [Fact]
    public async Task GetOrCreateAsync_ContextFailWithoutStaleValue_ThrowsFactoryFailedWithReason()
    {
        var (h, _) = Create();
        using var __ = h;

        var ex = await Assert.ThrowsAsync<CacheFactoryFailedException>(async () =>
            await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
            {
                Assert.False(ctx.HasStaleValue);
                ctx.Fail("upstream returned 503");
                return new ValueTask<string>("partial");
            }, FailSafe, Ct));

        Assert.Contains("upstream returned 503", ex.Message, StringComparison.Ordinal);
        Assert.False((await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_SoftTimeoutWithStaleValue_ReturnsStaleThenStoresBackgroundResult()
    {
        var (h, time) = Create();
        using var _ = h;
        var options = FailSafe with { FactorySoftTimeout = TimeSpan.FromSeconds(1) };
        await h.Cache.SetAsync("k", "old", options, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = h.Cache.GetOrCreateAsync("k", async ct =>
        {
            await release.Task.WaitAsync(ct);
            return "new";
        }, options, Ct).AsTask();
        await AdvanceUntilCompletedAsync(time, call, TimeSpan.FromSeconds(1));
        release.SetResult();

        Assert.Equal("old", await call);
        await AssertEventuallyFreshAsync(h, "k", "new");

        // The entry is readable as soon as the store has it; the run logs only after its write's answer comes back.
        await AssertEventuallyAsync(() => h.LogRecords(4009).Count != 0, "the background run never logged its completion");
    }

    [Fact]
    public async Task GetOrCreateAsync_HardTimeoutWithoutStaleValue_ThrowsTimeoutThenStoresBackgroundResult()
    {
        var (h, time) = Create();
        using var _ = h;
        var options = FailSafe with { FactoryHardTimeout = TimeSpan.FromSeconds(5) };
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = h.Cache.GetOrCreateAsync("k", async ct =>
        {
            await release.Task.WaitAsync(ct);
            return "new";
        }, options, Ct).AsTask();
        await AdvanceUntilCompletedAsync(time, call, TimeSpan.FromSeconds(5));
        release.SetResult();

        var ex = await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => call);
        Assert.IsAssignableFrom<TimeoutException>(ex);
        Assert.Equal(TimeSpan.FromSeconds(5), ex.Timeout);
        await AssertEventuallyFreshAsync(h, "k", "new");
    }

    [Fact]
    public async Task GetOrCreateAsync_HardTimeoutWithStaleValue_ReturnsStale()
    {
        var (h, time) = Create();
        using var _ = h;
        var options = FailSafe with { FactoryHardTimeout = TimeSpan.FromSeconds(5) };
        await h.Cache.SetAsync("k", "old", options, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = h.Cache.GetOrCreateAsync("k", async ct =>
        {
            await release.Task.WaitAsync(ct);
            return "new";
        }, options, Ct).AsTask();
        await AdvanceUntilCompletedAsync(time, call, TimeSpan.FromSeconds(5));

        Assert.Equal("old", await call);
        Assert.Single(h.LogRecords(4003));
        release.SetResult();
        await AssertEventuallyFreshAsync(h, "k", "new");
    }

    [Fact]
    public async Task GetOrCreateAsync_BackgroundRunFails_LoggedAndEntryUnchanged()
    {
        var (h, time) = Create();
        using var _ = h;
        var options = FailSafe with { FactorySoftTimeout = TimeSpan.FromSeconds(1) };
        await h.Cache.SetAsync("k", "old", options, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = h.Cache.GetOrCreateAsync<string>("k", async ct =>
        {
            await release.Task.WaitAsync(ct);
            throw new InvalidOperationException("late failure");
        }, options, Ct).AsTask();
        await AdvanceUntilCompletedAsync(time, call, TimeSpan.FromSeconds(1));
        release.SetResult();

        Assert.Equal("old", await call);
        await AssertEventuallyAsync(() => h.LogRecords(4008).Count == 1, "the background failure was never logged");
        var stale = await h.Cache.TryGetAsync<string>("k", options, Ct);
        Assert.True(stale.IsStale);
        Assert.Equal("old", stale.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_HitPastEagerRefreshThreshold_ReturnsCurrentAndRefreshesOnceInBackground()
    {
        var (h, time) = Create();
        using var _ = h;
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), EagerRefreshThreshold = 0.8 };
        await h.Cache.SetAsync("k", "old", options, Ct);
        time.Advance(TimeSpan.FromMinutes(9));
        var runs = new Counter();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<CancellationToken, ValueTask<string>> factory = async ct =>
        {
            runs.Increment();
            await release.Task.WaitAsync(ct);
            return "new";
        };

        var hits = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => h.Cache.GetOrCreateAsync("k", factory, options, Ct).AsTask()));
        release.SetResult();

        Assert.All(hits, v => Assert.Equal("old", v));
        await AssertEventuallyFreshAsync(h, "k", "new");
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_HitBeforeEagerRefreshThreshold_DoesNotRefresh()
    {
        var (h, time) = Create();
        using var _ = h;
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), EagerRefreshThreshold = 0.8 };
        await h.Cache.SetAsync("k", "old", options, Ct);
        time.Advance(TimeSpan.FromMinutes(7));
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync("k", Counting(runs, "new"), options, Ct);

        Assert.Equal("old", value);
        Assert.Equal(0, runs.Value);
        Assert.Empty(h.LogRecords(4010));
    }

    [Fact]
    public async Task GetOrCreateAsync_BackgroundRunsFail_NoUnobservedTaskException()
    {
        var marker = "background-unobserved-" + Guid.NewGuid();
        var unobserved = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
        {
            if (e.Exception.Flatten().InnerExceptions.Any(x => x.Message.Contains(marker, StringComparison.Ordinal)))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        };
        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            var (h, time) = Create();
            using (h)
            {
                // A run every caller timed out of (hard timeout, no stale value), then fails.
                var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var hard = FailSafe with { FactoryHardTimeout = TimeSpan.FromSeconds(1) };
                var call = h.Cache.GetOrCreateAsync<string>("timed-out", async ct =>
                {
                    await release.Task.WaitAsync(ct);
                    throw new InvalidOperationException(marker);
                }, hard, Ct).AsTask();
                await AdvanceUntilCompletedAsync(time, call, TimeSpan.FromSeconds(1));
                await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => call);
                release.SetResult();

                // An eager refresh that fails.
                var eager = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), EagerRefreshThreshold = 0.5 };
                await h.Cache.SetAsync("eager", "old", eager, Ct);
                time.Advance(TimeSpan.FromMinutes(6));
                Assert.Equal("old", await h.Cache.GetOrCreateAsync<string>("eager", _ => throw new InvalidOperationException(marker), eager, Ct));

                await AssertEventuallyAsync(() => h.LogRecords(4008).Count == 2, "both background failures are logged");
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }

        Assert.Empty(unobserved);
    }

    private (CacheHarness Harness, FakeTimeProvider Time) Create()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        return (CreateHarness(timeProvider: time), time);
    }

    private static async Task AssertEventuallyFreshAsync(CacheHarness h, string key, string expected)
    {
        CacheResult<string> read = default;
        for (var i = 0; i < 500; i++)
        {
            read = await h.Cache.TryGetAsync<string>(key, FailSafe, Ct);
            if (read.HasValue && !read.IsStale && read.Value == expected)
            {
                return;
            }

            await Task.Delay(10, Ct);
        }

        Assert.Fail($"'{key}' never became fresh '{expected}' (last read: {read})");
    }

    private static async Task AssertEventuallyAsync(Func<bool> condition, string message)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(condition(), message);
    }
}
