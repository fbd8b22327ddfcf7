using CacheSerial.Internal;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Tests.Internal;

/// <summary>
/// Stampede control across processes: several caches, each in its own container as in its own process, over one
/// in-memory store with a lock, on a fake clock that moves only while the cache waits on it.
/// </summary>
public sealed class DistributedLockTests
{
    private const string Key = "product:1";
    // A year, as the lock's wait and lease unless a test is about them: the stepping clock moves fast while a cache polls,
    // and must never reach these, whatever the machine's speed.
    private static readonly TimeSpan Never = TimeSpan.FromDays(365);
    private static readonly CacheEntryOptions Options = new() { Expiration = Never };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateAsync_ConcurrentCallersOnThreeProcessesOverOneStore_RunFactoryOnceInTotal()
    {
        using var c = new Cluster(nodes: 3);
        var factories = Enumerable.Range(0, 3).Select(n => new TestFactory("from-node-" + n, gated: true)).ToArray();

        var callers = Enumerable.Range(0, 30)
            .Select(i => c.Nodes[i % 3].Cache.GetOrCreateAsync(Key, factories[i % 3].RunAsync, Options, Ct).AsTask())
            .ToArray();
        await WhenLockCallsAsync(c, 3);
        Array.ForEach(factories, f => f.Open());
        await c.RunUntilAsync(Task.WhenAll(callers));
        await WhenReleasedAsync(c);

        var values = await Task.WhenAll(callers);
        Assert.Equal(1, factories.Sum(f => f.Runs));
        var holder = Array.FindIndex(factories, f => f.Runs == 1);
        Assert.All(values, v => Assert.Equal("from-node-" + holder, v));
        for (var node = 0; node < 3; node++)
        {
            Assert.Equal(node == holder ? 1 : 0, c.Nodes[node].LogRecords(5001).Count);
            Assert.Equal(node == holder ? 0 : 1, c.Nodes[node].LogRecords(5002).Count);
            Assert.Empty(c.Nodes[node].LogRecords(5003));
        }

        Assert.False(c.Store.IsLocked(c.StoreKey));
    }

    [Fact]
    public async Task GetOrCreateAsync_HolderFinishes_ReleasesAfterItsWriteAndWaiterGetsItsValue()
    {
        using var c = new Cluster(nodes: 2);
        var holderFactory = new TestFactory("holder", gated: true);
        var waiterFactory = new TestFactory("waiter");
        var holder = c.Nodes[0].Cache.GetOrCreateAsync(Key, holderFactory.RunAsync, Options, Ct).AsTask();
        var waiter = c.Nodes[1].Cache.GetOrCreateAsync(Key, waiterFactory.RunAsync, Options, Ct).AsTask();

        holderFactory.Open();
        await c.RunUntilAsync(Task.WhenAll(holder, waiter));

        Assert.Equal("holder", await holder);
        Assert.Equal("holder", await waiter);
        Assert.Equal(0, waiterFactory.Runs);
        var calls = c.Store.Calls;
        var write = IndexOf(calls, StoreCallKind.Set);
        var release = IndexOf(calls, StoreCallKind.LockRelease);
        Assert.InRange(write, 0, release - 1);
        Assert.True(calls[release].Succeeded);
        Assert.Equal(1, calls.Count(x => x.Kind == StoreCallKind.Set)); // the waiter did not write
    }

    [Fact]
    public async Task GetOrCreateAsync_HolderCrashedAndLeaseOutlastsWaitTimeout_RunsFactoryAfterWaitTimeout()
    {
        var waitTimeout = TimeSpan.FromSeconds(2);
        using var c = new Cluster(nodes: 1, waitTimeout: waitTimeout);
        c.Store.HoldLock(c.StoreKey); // a process took the lock and died: nobody releases it
        var started = c.Time.GetUtcNow();
        var factory = new TestFactory("mine", clock: c.Time);

        var call = c.Nodes[0].Cache.GetOrCreateAsync(Key, factory.RunAsync, Options, Ct).AsTask();
        await c.RunUntilAsync(call);

        Assert.Equal("mine", await call);
        Assert.True(factory.RanAt >= started + waitTimeout, $"the factory ran {factory.RanAt - started} after the call, before WaitTimeout");
        var warning = Assert.Single(c.Nodes[0].LogRecords(5003));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.DoesNotContain(Key, warning.Message, StringComparison.Ordinal);
        Assert.Equal("mine", (await c.Nodes[0].Cache.TryGetAsync<string>(Key, Options, Ct)).Value);
        Assert.DoesNotContain(c.Store.Calls, x => x.Kind == StoreCallKind.LockRelease); // it never held the lock
    }

    [Fact]
    public async Task GetOrCreateAsync_HolderCrashedAndLeaseExpires_TakesLockRunsFactoryAndReleases()
    {
        var lease = TimeSpan.FromMilliseconds(500);
        using var c = new Cluster(nodes: 1, lease: lease);
        c.Store.HoldLock(c.StoreKey);
        var started = c.Time.GetUtcNow();
        var factory = new TestFactory("mine", clock: c.Time);

        var call = c.Nodes[0].Cache.GetOrCreateAsync(Key, factory.RunAsync, Options, Ct).AsTask();
        await c.RunUntilAsync(call);
        await WhenReleasedAsync(c);

        Assert.Equal("mine", await call);
        Assert.True(factory.RanAt >= started + lease, $"the factory ran {factory.RanAt - started} after the call, while the lease held");
        Assert.Empty(c.Nodes[0].LogRecords(5003));
        Assert.Single(c.Nodes[0].LogRecords(5001));
        Assert.True(Assert.Single(c.Store.Calls, x => x.Kind == StoreCallKind.LockRelease).Succeeded);
        Assert.False(c.Store.IsLocked(c.StoreKey));
    }

    [Fact]
    public async Task GetOrCreateAsync_HolderWritesAndReleasesJustBeforeWaitersAcquire_WaiterRereadsAndTakesValue()
    {
        using var c = new Cluster(nodes: 2);
        var holderToken = c.Store.HoldLock(c.StoreKey);
        var waiterFactory = new TestFactory("waiter");
        c.Store.BeforeAcquire = key =>
        {
            if (c.Store.LockAttempts == 2)
            {
                // The holder's write and release land between the waiter's re-read and its second lock attempt.
                c.Store.BeforeAcquire = null;
                c.Nodes[1].Cache.SetAsync(Key, "holder", Options, Ct).AsTask().GetAwaiter().GetResult();
                c.Store.ReleaseAsync(key, holderToken, Ct).AsTask().GetAwaiter().GetResult();
            }
        };

        var waiter = c.Nodes[0].Cache.GetOrCreateAsync(Key, waiterFactory.RunAsync, Options, Ct).AsTask();
        await c.RunUntilAsync(waiter);
        await WhenReleasedAsync(c);

        Assert.Equal("holder", await waiter);
        Assert.Equal(0, waiterFactory.Runs);
        Assert.Single(c.Nodes[0].LogRecords(5002));
        var calls = c.Store.Calls.Where(x => !TagMarkerKeys.IsMarker(x.Key)).ToList(); // entry and lock calls only
        var taken = calls.FindIndex(x => x.Kind == StoreCallKind.LockAcquire && x.Succeeded);
        Assert.Equal(new StoreCall(StoreCallKind.Get, c.StoreKey, Succeeded: true), calls[taken + 1]);
        Assert.Equal(new StoreCall(StoreCallKind.LockRelease, c.StoreKey, Succeeded: true), calls[taken + 2]);
        Assert.False(c.Store.IsLocked(c.StoreKey));
    }

    [Theory]
    [InlineData(StoreFault.Throw)]
    [InlineData(StoreFault.Faulted)]
    public async Task GetOrCreateAsync_LockCallFails_RunsFactoryOncePerProcessAndCallersGetValues(StoreFault fault)
    {
        using var c = new Cluster(nodes: 2);
        c.Store.AcquireFault = fault;
        var factories = Enumerable.Range(0, 2).Select(n => new TestFactory("from-node-" + n, gated: true)).ToArray();

        var callers = Enumerable.Range(0, 20)
            .Select(i => (Node: i % 2, Task: c.Nodes[i % 2].Cache.GetOrCreateAsync(Key, factories[i % 2].RunAsync, Options, Ct).AsTask()))
            .ToArray();
        Array.ForEach(factories, f => f.Open());
        await c.RunUntilAsync(Task.WhenAll(callers.Select(x => x.Task)));

        Assert.Equal([1, 1], factories.Select(f => f.Runs));
        foreach (var (node, task) in callers)
        {
            Assert.Equal("from-node-" + node, await task);
        }

        foreach (var node in c.Nodes)
        {
            var warning = Assert.Single(node.LogRecords(5004));
            Assert.Contains(nameof(ChaosException), warning.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, warning.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetOrCreateAsync_LockCallHangsPastStoreDeadline_RunsFactoryWithoutLock()
    {
        using var c = new Cluster(nodes: 1, configure: o => o.DistributedCacheTimeout = TimeSpan.FromMilliseconds(250));
        c.Store.AcquireFault = StoreFault.Hang;

        var call = c.Nodes[0].Cache.GetOrCreateAsync(Key, _ => new ValueTask<string>("mine"), Options, Ct).AsTask();
        await c.RunUntilAsync(call);

        Assert.Equal("mine", await call);
        Assert.Contains(nameof(TimeoutException), Assert.Single(c.Nodes[0].LogRecords(5004)).Message, StringComparison.Ordinal);
        Assert.Equal("mine", (await c.Nodes[0].Cache.TryGetAsync<string>(Key, Options, Ct)).Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_CircuitBreakerOpen_SkipsLockAndRunsFactory()
    {
        using var c = new Cluster(nodes: 1, configure: o =>
        {
            o.CircuitBreakerFailureThreshold = 1;
            o.CircuitBreakerDuration = TimeSpan.FromMinutes(1);
        });
        c.Store.AcquireFault = StoreFault.Throw;
        var node = c.Nodes[0];

        Assert.Equal("a", await node.Cache.GetOrCreateAsync("a", _ => new ValueTask<string>("a"), Options, Ct));
        Assert.Single(node.LogRecords(1101)); // the failed lock call opened the breaker
        Assert.Equal("b", await node.Cache.GetOrCreateAsync("b", _ => new ValueTask<string>("b"), Options, Ct));

        Assert.Equal(1, c.Store.LockAttempts);
        Assert.Single(node.LogRecords(5004));
    }

    [Fact]
    public async Task GetOrCreateAsync_ReleaseFails_CallerGetsValueAndFailureIsLogged()
    {
        using var c = new Cluster(nodes: 1);
        c.Store.ReleaseFault = StoreFault.Throw;

        var value = await c.Nodes[0].Cache.GetOrCreateAsync(Key, _ => new ValueTask<string>("mine"), Options, Ct);
        await c.Nodes[0].WhenLoggedAsync(5005, c.Guard);

        Assert.Equal("mine", value);
        var warning = Assert.Single(c.Nodes[0].LogRecords(5005));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.DoesNotContain(Key, warning.Message, StringComparison.Ordinal);
        Assert.True(c.Store.IsLocked(c.StoreKey)); // until its lease runs out
        Assert.Equal("mine", (await c.Nodes[0].Cache.TryGetAsync<string>(Key, Options, Ct)).Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrowsWhileHoldingLock_ReleasesLockAndThrows()
    {
        using var c = new Cluster(nodes: 1);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            c.Nodes[0].Cache.GetOrCreateAsync<string>(Key, _ => throw new InvalidOperationException("boom"), Options, Ct).AsTask());
        await WhenReleasedAsync(c);

        Assert.False(c.Store.IsLocked(c.StoreKey));
        Assert.DoesNotContain(c.Store.Calls, x => x.Kind == StoreCallKind.Set);
    }

    [Fact]
    public async Task GetOrCreateAsync_HardTimeoutWhileHoldingLock_BackgroundRunReleasesWhenDone()
    {
        using var c = new Cluster(nodes: 1);
        var factory = new TestFactory("late", gated: true, ignoresCancellation: true);
        var options = new CacheEntryOptions { Expiration = Never, FactoryHardTimeout = TimeSpan.FromSeconds(1) };

        var call = c.Nodes[0].Cache.GetOrCreateAsync(Key, factory.RunAsync, options, Ct).AsTask();
        await WhenLockCallsAsync(c, 1); // with a timeout the run starts on the thread pool: the clock moves once it holds the lock
        await c.RunUntilAsync(call);
        await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => call);
        var lockedDuringRun = c.Store.IsLocked(c.StoreKey);
        var released = c.Store.WhenCallsAsync(calls => calls.Any(x => x.Kind == StoreCallKind.LockRelease));
        factory.Open();
        await released.WaitAsync(c.Guard);

        Assert.True(lockedDuringRun);
        Assert.False(c.Store.IsLocked(c.StoreKey));
        Assert.Equal("late", (await c.Nodes[0].Cache.TryGetAsync<string>(Key, Options, Ct)).Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_OneOfTwoWaitersCancelled_OtherWaiterGetsHoldersValue()
    {
        using var c = new Cluster(nodes: 2);
        var holderFactory = new TestFactory("holder", gated: true);
        var waiterFactory = new TestFactory("waiter");
        var holder = c.Nodes[0].Cache.GetOrCreateAsync(Key, holderFactory.RunAsync, Options, Ct).AsTask();

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var leaving = c.Nodes[1].Cache.GetOrCreateAsync(Key, waiterFactory.RunAsync, Options, cts.Token).AsTask();
        var staying = c.Nodes[1].Cache.GetOrCreateAsync(Key, waiterFactory.RunAsync, Options, Ct).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        holderFactory.Open();
        await c.RunUntilAsync(Task.WhenAll(holder, staying));

        Assert.Equal("holder", await staying);
        Assert.Equal(0, waiterFactory.Runs);
        Assert.Single(c.Nodes[1].LogRecords(5002)); // both callers waited in one flight
    }

    [Fact]
    public async Task GetOrCreateAsync_OnlyWaiterCancelled_StopsWaitingWithoutFactoryRun()
    {
        using var c = new Cluster(nodes: 1);
        c.Store.HoldLock(c.StoreKey);
        var factory = new TestFactory("mine");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = c.Nodes[0].Cache.GetOrCreateAsync(Key, factory.RunAsync, Options, cts.Token).AsTask();
        await WhenLockCallsAsync(c, 1);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var callsAfterCancel = c.Store.Calls.Count;
        c.Time.Advance(TimeSpan.FromMinutes(1)); // would wake a poll still waiting

        Assert.Equal(callsAfterCancel, c.Store.Calls.Count);
        Assert.Equal(0, factory.Runs);
        Assert.Single(c.Nodes[0].LogRecords(4002));
    }

    [Fact]
    public async Task GetOrCreateAsync_StaleValueAndSoftTimeoutWhileOtherProcessHoldsLock_ServesStaleThenTakesHoldersValue()
    {
        using var c = new Cluster(nodes: 2);
        var failSafe = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), FailSafe = true };
        var withSoftTimeout = failSafe with { FactorySoftTimeout = TimeSpan.FromSeconds(1) };
        await c.Nodes[0].Cache.SetAsync(Key, "old", failSafe, Ct);
        c.Time.Advance(TimeSpan.FromMinutes(2)); // the entry is stale now
        var holderFactory = new TestFactory("new", gated: true);
        var waiterFactory = new TestFactory("waiter");
        var holder = c.Nodes[0].Cache.GetOrCreateAsync(Key, holderFactory.RunAsync, failSafe, Ct).AsTask();

        var waiter = c.Nodes[1].Cache.GetOrCreateAsync(Key, waiterFactory.RunAsync, withSoftTimeout, Ct).AsTask();
        await WhenLockCallsAsync(c, 2); // the waiter's run (on the thread pool) found the lock held
        await c.RunUntilAsync(waiter);
        Assert.Equal("old", await waiter);
        Assert.Single(c.Nodes[1].LogRecords(4006));

        // The waiting run goes on in the background: a caller joining it (no read of its own) gets what it ends with.
        var joined = c.Nodes[1].Cache.GetOrCreateAsync(Key, waiterFactory.RunAsync, failSafe with { Flags = CacheEntryFlags.SkipRead }, Ct).AsTask();
        holderFactory.Open();
        await c.RunUntilAsync(Task.WhenAll(holder, joined));

        Assert.Equal("new", await holder);
        Assert.Equal("new", await joined);
        Assert.Equal(0, waiterFactory.Runs);
        Assert.Single(c.Nodes[1].LogRecords(5002));
    }

    [Fact]
    public async Task GetOrCreateAsync_EagerRefreshWhileOtherProcessHoldsLock_EndsWithoutFactoryRun()
    {
        using var c = new Cluster(nodes: 1);
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), EagerRefreshThreshold = 0.5 };
        var node = c.Nodes[0];
        await node.Cache.SetAsync(Key, "current", options, Ct);
        c.Time.Advance(TimeSpan.FromMinutes(6));
        c.Store.HoldLock(c.StoreKey);
        var factory = new TestFactory("refreshed");

        var value = await node.Cache.GetOrCreateAsync(Key, factory.RunAsync, options, Ct);
        await node.WhenLoggedAsync(5006, c.Guard);

        Assert.Equal("current", value);
        Assert.Equal(0, factory.Runs);
        Assert.Equal("current", (await node.Cache.TryGetAsync<string>(Key, options, Ct)).Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_EagerRefreshWithLockFree_RefreshesUnderLock()
    {
        using var c = new Cluster(nodes: 1);
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), EagerRefreshThreshold = 0.5 };
        var node = c.Nodes[0];
        await node.Cache.SetAsync(Key, "current", options, Ct);
        c.Time.Advance(TimeSpan.FromMinutes(6));
        var released = c.Store.WhenCallsAsync(calls => calls.Any(x => x.Kind == StoreCallKind.LockRelease));

        var value = await node.Cache.GetOrCreateAsync(Key, _ => new ValueTask<string>("refreshed"), options, Ct);
        await released.WaitAsync(c.Guard);

        Assert.Equal("current", value);
        var calls = c.Store.Calls;
        Assert.True(calls[IndexOf(calls, StoreCallKind.LockAcquire)].Succeeded);
        Assert.InRange(calls.ToList().FindLastIndex(x => x.Kind == StoreCallKind.Set), IndexOf(calls, StoreCallKind.LockAcquire) + 1, IndexOf(calls, StoreCallKind.LockRelease) - 1);
        Assert.Equal("refreshed", (await node.Cache.TryGetAsync<string>(Key, options, Ct)).Value);
    }

    [Theory]
    [InlineData(CacheEntryFlags.SkipRead)]
    [InlineData(CacheEntryFlags.SkipWrite)]
    public async Task GetOrCreateAsync_SkipReadOrSkipWrite_DoesNotUseLock(CacheEntryFlags flags)
    {
        using var c = new Cluster(nodes: 1);
        c.Store.HoldLock(c.StoreKey);

        var value = await c.Nodes[0].Cache.GetOrCreateAsync(Key, _ => new ValueTask<string>("mine"), Options with { Flags = flags }, Ct);

        Assert.Equal("mine", value);
        Assert.Equal(0, c.Store.LockAttempts);
    }

    [Fact]
    public async Task GetOrCreateAsync_StoreWithoutLock_RunsFactoryPerProcess()
    {
        using var c = new Cluster(nodes: 2, withLock: false);

        Assert.Equal("a", await c.Nodes[0].Cache.GetOrCreateAsync(Key, _ => new ValueTask<string>("a"), Options with { Flags = CacheEntryFlags.SkipRead }, Ct));
        Assert.Equal("a", await c.Nodes[1].Cache.GetOrCreateAsync(Key, _ => new ValueTask<string>("b"), Options, Ct));

        Assert.Equal(0, c.Store.LockAttempts);
    }

    [Fact]
    public async Task GetOrCreateAsync_HolderAndWaiter_CountLockOutcomesByCache()
    {
        using var c = new Cluster(nodes: 2, metrics: true);
        using var holderOutcomes = c.Nodes[0].Collect<long>("cacheserial.lock.outcomes");
        using var waiterOutcomes = c.Nodes[1].Collect<long>("cacheserial.lock.outcomes");
        var holderFactory = new TestFactory("holder", gated: true);
        var holder = c.Nodes[0].Cache.GetOrCreateAsync(Key, holderFactory.RunAsync, Options, Ct).AsTask();
        var waiter = c.Nodes[1].Cache.GetOrCreateAsync(Key, new TestFactory("waiter").RunAsync, Options, Ct).AsTask();

        holderFactory.Open();
        await c.RunUntilAsync(Task.WhenAll(holder, waiter));

        var acquired = Assert.Single(holderOutcomes.GetMeasurementSnapshot());
        Assert.Equal("acquired", acquired.Tags["cacheserial.outcome"]);
        Assert.Equal("default", acquired.Tags["cache.name"]);
        Assert.Equal("value_from_other", Assert.Single(waiterOutcomes.GetMeasurementSnapshot()).Tags["cacheserial.outcome"]);
    }

    /// <summary>A factory that counts its runs, notes when (on <paramref name="clock"/>) it last ran and, when gated, waits until the test opens it.</summary>
    private sealed class TestFactory(string value, bool gated = false, bool ignoresCancellation = false, TimeProvider? clock = null)
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public DateTimeOffset? RanAt { get; private set; }

        public void Open() => _gate.TrySetResult();

        public async ValueTask<string> RunAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _runs);
            RanAt = clock?.GetUtcNow();
            if (gated)
            {
                await _gate.Task.WaitAsync(ignoresCancellation ? CancellationToken.None : cancellationToken);
            }

            return value;
        }
    }

    [Fact]
    public async Task GetOrCreateAsync_LockCallFails_CountsUnavailableAndStoreError()
    {
        using var c = new Cluster(nodes: 1, metrics: true);
        using var outcomes = c.Nodes[0].Collect<long>("cacheserial.lock.outcomes");
        using var errors = c.Nodes[0].Collect<long>("cacheserial.store.errors");
        c.Store.AcquireFault = StoreFault.Throw;

        await c.Nodes[0].Cache.GetOrCreateAsync(Key, new TestFactory("mine").RunAsync, Options, Ct);

        Assert.Equal("unavailable", Assert.Single(outcomes.GetMeasurementSnapshot()).Tags["cacheserial.outcome"]);
        var error = Assert.Single(errors.GetMeasurementSnapshot());
        Assert.Equal("lock_acquire", error.Tags["cacheserial.operation"]);
        Assert.Equal(typeof(ChaosException).FullName, error.Tags["error.type"]);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_AnotherProcessHoldsOneKeysLock_WaitsForItsValueAndAsksTheFactoryForTheOthersOnly()
    {
        using var c = new Cluster(nodes: 2);
        var holderFactory = new TestFactory("from-holder", gated: true);
        var holder = c.Nodes[1].Cache.GetOrCreateAsync("b", holderFactory.RunAsync, Options, Ct).AsTask();
        await WhenLockCallsAsync(c, 1); // node 1 holds the lock of "b" and runs its factory
        var asked = new List<string>();

        var batch = c.Nodes[0].Cache.GetOrCreateManyAsync<string>(["a", "b"], (missing, _) =>
        {
            lock (asked)
            {
                asked.AddRange(missing);
            }

            return new ValueTask<IReadOnlyDictionary<string, string>>(missing.ToDictionary(k => k, k => "from-batch-" + k));
        }, Options, Ct).AsTask();
        await WhenLockCallsAsync(c, 3); // the batch tried both keys' locks
        holderFactory.Open();
        await c.RunUntilAsync(Task.WhenAll(holder, batch));
        await WhenReleasedCountAsync(c, 2);

        var values = await batch;
        Assert.Equal("from-batch-a", values["a"]);
        Assert.Equal("from-holder", values["b"]); // waited for the holder's value instead of running the factory for it
        Assert.Equal(["a"], asked);
        Assert.Single(c.Nodes[0].LogRecords(5002)); // value found while waiting, for "b"
        Assert.False(c.Store.IsLocked(c.Nodes[0].StoreKey("a")));
        Assert.False(c.Store.IsLocked(c.Nodes[0].StoreKey("b")));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_SameKeysOnThreeProcesses_EachKeyProducedOnceInTotal()
    {
        using var c = new Cluster(nodes: 3);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var produced = new List<string>();
        string[] keys = ["a", "b", "c"];

        var callers = c.Nodes.Select(node => node.Cache.GetOrCreateManyAsync<string>(keys, async (missing, ct) =>
        {
            lock (produced)
            {
                produced.AddRange(missing);
            }

            await gate.Task.WaitAsync(ct);
            return missing.ToDictionary(k => k, k => "v-" + k);
        }, Options, Ct).AsTask()).ToArray();
        await WhenLockCallsAsync(c, 9); // every process tried every key's lock once
        gate.SetResult();
        await c.RunUntilAsync(Task.WhenAll(callers));

        foreach (var values in await Task.WhenAll(callers))
        {
            Assert.Equal(keys.Select(k => "v-" + k), keys.Select(k => values[k]));
        }

        Assert.Equal(keys, produced.Order()); // across the three processes, each key went to one factory call
    }

    private static Task WhenReleasedCountAsync(Cluster c, int count) =>
        c.Store.WhenCallsAsync(calls => calls.Count(x => x.Kind == StoreCallKind.LockRelease) >= count).WaitAsync(c.Guard);

    private static Task WhenLockCallsAsync(Cluster c, int count) =>
        c.Store.WhenCallsAsync(calls => calls.Count(x => x.Kind == StoreCallKind.LockAcquire) >= count).WaitAsync(c.Guard);

    // The lock is released after the callers got their value (they need not wait for it): wait for the release call.
    private static Task WhenReleasedAsync(Cluster c) =>
        c.Store.WhenCallsAsync(calls => calls.Any(x => x.Kind == StoreCallKind.LockRelease)).WaitAsync(c.Guard);

    private static int IndexOf(IReadOnlyList<StoreCall> calls, StoreCallKind kind) => calls.ToList().FindIndex(x => x.Kind == kind);

    /// <summary>Several caches over one store, each in its own container (like processes), sharing a stepping clock.</summary>
    private sealed class Cluster : IDisposable
    {
        private readonly CancellationTokenSource _guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        public Cluster(
            int nodes,
            TimeSpan? waitTimeout = null,
            TimeSpan? lease = null,
            Action<CacheSerialOptions>? configure = null,
            bool withLock = true,
            bool metrics = false)
        {
            _guard.CancelAfter(TimeSpan.FromMinutes(1));
            Store = new InMemoryCacheStore(Time, waitTimeout ?? Never, lease ?? Never, withLock);
            var prefix = CacheHarness.NewPrefix();
            Nodes = [.. Enumerable.Range(0, nodes).Select(_ => new CacheNode(
                Store, Time, prefix, configure, metrics ? s => s.AddMetrics() : null))];
        }

        public SteppingTimeProvider Time { get; } = new();

        /// <summary>
        /// Cancelled a minute after the cluster was made: only so that a broken cache fails a test instead of hanging it
        /// (no outcome depends on it; the waits it bounds end within milliseconds when the cache works).
        /// </summary>
        public CancellationToken Guard => _guard.Token;

        public InMemoryCacheStore Store { get; }

        public CacheNode[] Nodes { get; }

        public string StoreKey => Nodes[0].StoreKey(Key);

        /// <summary>Moves the clock a poll interval at a time while the caches wait on it, until <paramref name="task"/> ends.</summary>
        public Task RunUntilAsync(Task task) => Time.RunUntilAsync(task, CachePipeline.LockPollMaximum, Guard);

        public void Dispose()
        {
            foreach (var node in Nodes)
            {
                node.Dispose();
            }

            _guard.Dispose();
        }
    }
}
