namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Stampede control in one process: concurrent get-or-create callers of one key share one factory run; a caller's
/// cancellation ends only its own wait; the factory's token is cancelled only when every waiter has left; a factory
/// exception reaches every waiter and is never cached.
/// </summary>
/// <remarks>
/// Tests that must know a caller has joined the running flight before they act (to cancel the others, say) use
/// <see cref="CacheEntryFlags.SkipRead"/> for the joining callers: without a store read in front, joining happens
/// synchronously inside the call on every store, so the test does not depend on a remote read's latency.
/// </remarks>
public abstract class StampedeBehaviourTests : BehaviourTestBase
{
    private const int Callers = 500;
    private static readonly CacheEntryOptions JoinDirectly = new() { Flags = CacheEntryFlags.SkipRead };

    [Fact]
    public async Task GetOrCreateAsync_500ConcurrentCallersOnMissingKey_RunFactoryOnceAndShareValue()
    {
        using var h = CreateHarness();
        var runs = new Counter();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var callers = new Task<string>[Callers];
        for (var i = 0; i < Callers; i++)
        {
            callers[i] = h.Cache.GetOrCreateAsync("k", async ct =>
            {
                var run = runs.Increment();
                await release.Task.WaitAsync(ct);
                return "value-of-run-" + run;
            }, cancellationToken: Ct).AsTask();
        }

        release.SetResult();
        var values = await Task.WhenAll(callers);

        Assert.Equal(1, runs.Value);
        Assert.All(values, v => Assert.Equal("value-of-run-1", v));
        await AssertEventuallyStoredAsync(h, "k", "value-of-run-1");
    }

    [Fact]
    public async Task GetOrCreateAsync_500ConcurrentCallersStartedOnThreadPool_RunFactoryOnce()
    {
        using var h = CreateHarness();
        var runs = new Counter();
        var started = new Counter();
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            if (started.Increment() == Callers)
            {
                allStarted.SetResult();
            }

            return await h.Cache.GetOrCreateAsync("k", async ct =>
            {
                runs.Increment();
                await release.Task.WaitAsync(ct);
                return 42;
            }, cancellationToken: Ct);
        }, Ct)).ToArray();

        await allStarted.Task.WaitAsync(Ct);
        await Task.Delay(100, Ct); // let the last callers reach the cache; correctness does not depend on it
        release.SetResult();
        var values = await Task.WhenAll(callers);

        Assert.Equal(1, runs.Value);
        Assert.All(values, v => Assert.Equal(42, v));
    }

    [Fact]
    public async Task GetOrCreateAsync_AfterSharedRun_ValueIsCachedForLaterCallers()
    {
        using var h = CreateHarness();
        var runs = new Counter();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, 20).Select(_ => h.Cache.GetOrCreateAsync("k", async ct =>
        {
            runs.Increment();
            await release.Task.WaitAsync(ct);
            return 7;
        }, cancellationToken: Ct).AsTask()).ToArray();
        release.SetResult();
        await Task.WhenAll(callers);

        var later = await h.Cache.GetOrCreateAsync("k", Counting(runs, 8), cancellationToken: Ct);

        Assert.Equal(7, later);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_DifferentKeys_RunIndependently()
    {
        using var h = CreateHarness();
        var blockA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var a = h.Cache.GetOrCreateAsync("a", async ct =>
        {
            await blockA.Task.WaitAsync(ct);
            return 1;
        }, cancellationToken: Ct).AsTask();
        var b = await h.Cache.GetOrCreateAsync("b", _ => new ValueTask<int>(2), cancellationToken: Ct);

        Assert.Equal(2, b);
        Assert.False(a.IsCompleted);
        blockA.SetResult();
        Assert.Equal(1, await a);
    }

    [Fact]
    public async Task GetOrCreateAsync_SameKeyDifferentTypes_DoNotShareARun()
    {
        using var h = CreateHarness();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = new Counter();

        var asInt = h.Cache.GetOrCreateAsync("k", async ct =>
        {
            runs.Increment();
            await release.Task.WaitAsync(ct);
            return 1;
        }, JoinDirectly, Ct).AsTask();
        var asString = h.Cache.GetOrCreateAsync("k", async ct =>
        {
            runs.Increment();
            await release.Task.WaitAsync(ct);
            return "one";
        }, JoinDirectly, Ct).AsTask();
        release.SetResult();

        Assert.Equal(1, await asInt);
        Assert.Equal("one", await asString);
        Assert.Equal(2, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_NonLeaderCancels_OnlyItsWaitEnds()
    {
        using var h = CreateHarness();
        var factory = new BlockingFactory<string>("shared");
        var leader = h.Cache.GetOrCreateAsync("k", factory.RunAsync, cancellationToken: Ct).AsTask();
        var factoryToken = await factory.Started.Task.WaitAsync(Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var follower = h.Cache.GetOrCreateAsync("k", factory.RunAsync, cancellationToken: cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => follower);

        Assert.False(factoryToken.IsCancellationRequested);
        Assert.False(leader.IsCompleted);
        factory.Release();
        Assert.Equal("shared", await leader);
        Assert.Equal(1, factory.Runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_LeaderCancels_FollowersStillGetValueAndFactoryNotCancelled()
    {
        using var h = CreateHarness();
        var factory = new BlockingFactory<string>("shared");
        using var leaderCts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var leader = h.Cache.GetOrCreateAsync("k", factory.RunAsync, JoinDirectly, leaderCts.Token).AsTask();
        var factoryToken = await factory.Started.Task.WaitAsync(Ct);
        var followers = Enumerable.Range(0, 10)
            .Select(_ => h.Cache.GetOrCreateAsync("k", factory.RunAsync, JoinDirectly, Ct).AsTask())
            .ToArray();

        await leaderCts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);

        Assert.False(factoryToken.IsCancellationRequested);
        factory.Release();
        Assert.All(await Task.WhenAll(followers), v => Assert.Equal("shared", v));
        Assert.Equal(1, factory.Runs.Value);
        await AssertEventuallyStoredAsync(h, "k", "shared");
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryTokenCancelledOnlyWhenAllWaitersCancelled_ThenFreshRunStarts()
    {
        using var h = CreateHarness();
        var factory = new BlockingFactory<string>("first");
        var sources = Enumerable.Range(0, 3).Select(_ => CancellationTokenSource.CreateLinkedTokenSource(Ct)).ToArray();
        try
        {
            var waiters = new List<Task<string>>
            {
                h.Cache.GetOrCreateAsync("k", factory.RunAsync, JoinDirectly, sources[0].Token).AsTask(),
            };
            var factoryToken = await factory.Started.Task.WaitAsync(Ct);
            waiters.Add(h.Cache.GetOrCreateAsync("k", factory.RunAsync, JoinDirectly, sources[1].Token).AsTask());
            waiters.Add(h.Cache.GetOrCreateAsync("k", factory.RunAsync, JoinDirectly, sources[2].Token).AsTask());

            for (var i = 0; i < sources.Length; i++)
            {
                Assert.False(factoryToken.IsCancellationRequested, $"factory cancelled with {sources.Length - i} waiters left");
                await sources[i].CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiters[i]);
            }

            Assert.True(factoryToken.IsCancellationRequested);
            await factory.Finished.Task.WaitAsync(Ct); // the abandoned run observed its token

            var fresh = await h.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("fresh"), cancellationToken: Ct);

            Assert.Equal("fresh", fresh);
            Assert.Equal(1, factory.Runs.Value);
            Assert.Equal("fresh", await h.Cache.GetAsync<string>("k", cancellationToken: Ct));
        }
        finally
        {
            foreach (var source in sources)
            {
                source.Dispose();
            }
        }
    }

    [Fact]
    public async Task GetOrCreateAsync_AllWaitersCancelled_NewCallerStartsFreshRunEvenIfOldFactoryIgnoresToken()
    {
        using var h = CreateHarness();
        var stubborn = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var runs = new Counter();

        var abandoned = h.Cache.GetOrCreateAsync("k", _ =>
        {
            runs.Increment();
            started.TrySetResult();
            return new ValueTask<string>(stubborn.Task); // ignores its token
        }, JoinDirectly, cts.Token).AsTask();
        await started.Task.WaitAsync(Ct);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        var fresh = await h.Cache.GetOrCreateAsync("k", _ =>
        {
            runs.Increment();
            return new ValueTask<string>("fresh");
        }, JoinDirectly, Ct);
        stubborn.SetResult("stale");

        Assert.Equal("fresh", fresh);
        Assert.Equal(2, runs.Value);

        // The abandoned run's late result is not written over the fresh one (give it time to try).
        await Task.Delay(300, Ct);
        Assert.Equal("fresh", (await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrows_EveryWaiterGetsExceptionAndNothingIsCached()
    {
        using var h = CreateHarness();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = new Counter();
        var marker = new InvalidOperationException("factory failed " + Guid.NewGuid());

        var waiters = Enumerable.Range(0, 50).Select(_ => h.Cache.GetOrCreateAsync<int>("k", async ct =>
        {
            runs.Increment();
            await release.Task.WaitAsync(ct);
            throw marker;
        }, JoinDirectly, Ct).AsTask()).ToArray();
        release.SetResult();

        foreach (var waiter in waiters)
        {
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => waiter);
            Assert.Same(marker, ex);
        }

        Assert.Equal(1, runs.Value);
        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
        var next = await h.Cache.GetOrCreateAsync("k", Counting(runs, 5), cancellationToken: Ct);
        Assert.Equal(5, next);
        Assert.Equal(2, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrowsSynchronously_CallerGetsExceptionAndNextCallRunsAgain()
    {
        using var h = CreateHarness();
        var runs = new Counter();

        await Assert.ThrowsAsync<FormatException>(async () => await h.Cache.GetOrCreateAsync<int>("k", _ =>
        {
            runs.Increment();
            throw new FormatException("sync");
        }, cancellationToken: Ct));
        var next = await h.Cache.GetOrCreateAsync("k", Counting(runs, 3), cancellationToken: Ct);

        Assert.Equal(3, next);
        Assert.Equal(2, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryFailsAfterWaitersLeftOrStayed_NoUnobservedTaskException()
    {
        var marker = "unobserved-check-" + Guid.NewGuid();
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
            await RunFailingFlightsAsync(marker);
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

    private async Task RunFailingFlightsAsync(string marker)
    {
        using var h = CreateHarness();

        // 1. Some waiters leave, the rest see the exception.
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var leaving = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var stayer = h.Cache.GetOrCreateAsync<int>("partly-left", Failing(release, marker), JoinDirectly, Ct).AsTask();
            var leavers = Enumerable.Range(0, 5)
                .Select(_ => h.Cache.GetOrCreateAsync<int>("partly-left", Failing(release, marker), JoinDirectly, leaving.Token).AsTask())
                .ToArray();
            await leaving.CancelAsync();
            foreach (var leaver in leavers)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaver);
            }

            release.SetResult();
            await Assert.ThrowsAsync<InvalidOperationException>(() => stayer);
        }

        // 2. Every waiter leaves, then the factory fails without looking at its token.
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var leaving = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var leavers = Enumerable.Range(0, 5)
                .Select(_ => h.Cache.GetOrCreateAsync<int>("all-left", async _ =>
                {
                    await release.Task;
                    throw new InvalidOperationException(marker);
                }, JoinDirectly, leaving.Token).AsTask())
                .ToArray();
            await leaving.CancelAsync();
            foreach (var leaver in leavers)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaver);
            }

            release.SetResult();
            await Task.Delay(50, Ct); // let the abandoned run finish
        }

        // 3. A factory that fails while nobody waits any more, and later succeeds for a fresh caller.
        var recovered = await h.Cache.GetOrCreateAsync("all-left", _ => new ValueTask<int>(1), cancellationToken: Ct);
        Assert.Equal(1, recovered);
    }

    private static Func<CancellationToken, ValueTask<int>> Failing(TaskCompletionSource release, string marker) =>
        async ct =>
        {
            await release.Task.WaitAsync(ct);
            throw new InvalidOperationException(marker);
        };

    /// <summary>A factory that reports its token when it starts and waits until released (or cancelled).</summary>
    private sealed class BlockingFactory<T>(T value)
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Counter Runs { get; } = new();

        public TaskCompletionSource<CancellationToken> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        public async ValueTask<T> RunAsync(CancellationToken token)
        {
            Runs.Increment();
            Started.TrySetResult(token);
            try
            {
                await _release.Task.WaitAsync(token);
                return value;
            }
            finally
            {
                Finished.TrySetResult();
            }
        }
    }
}
