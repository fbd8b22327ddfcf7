using CacheSerial.TestSupport.Behaviour;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// A caller's own cancellation reaches it as <see cref="OperationCanceledException"/> while the store hangs or the
/// factory runs, and breaks nothing else: no store failure is logged, the breaker stays closed, other waiters are served.
/// The store deadline here is longer than <see cref="FaultRig.Bound"/>, so a call that ends within the bound ended by
/// cancellation.
/// </summary>
public sealed class CancellationFaultTests
{
    private static readonly TimeSpan LongDeadline = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TryGetAsync_CancelledWhileProxyBlackholed_ThrowsOperationCanceledAndStaysHealthy()
    {
        await using var rig = await StartAsync();
        await rig.Cache.SetAsync("k", new Sample("v", 1), cancellationToken: Ct);
        await rig.Proxy.SetModeAsync(ProxyMode.Blackhole, Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var pending = rig.Cache.TryGetAsync<Sample>("k", cancellationToken: cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(FaultRig.Bound, Ct));
        await rig.Proxy.SetModeAsync(ProxyMode.Pass, Ct);
        Assert.Equal(new Sample("v", 1), (await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct)).Value);
        Assert.Empty(rig.Harness.LogRecords(1001));
        Assert.False(rig.Breaker.IsOpen);
    }

    [Fact]
    public async Task GetOrCreateAsync_CancelledWhileRedisPaused_ThrowsWithoutRunningFactory()
    {
        await using var rig = await StartAsync();
        var runs = 0;
        Func<CancellationToken, ValueTask<Sample>> factory = _ =>
        {
            Interlocked.Increment(ref runs);
            return new ValueTask<Sample>(new Sample("v", 1));
        };
        rig.Redis.Pause();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task<Sample> pending;
        try
        {
            pending = rig.Cache.GetOrCreateAsync("k", factory, cancellationToken: cancel.Token).AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(FaultRig.Bound, Ct));
        }
        finally
        {
            rig.Redis.Resume();
        }

        Assert.Equal(0, runs);
        Assert.Equal(new Sample("v", 1), await rig.Cache.GetOrCreateAsync("k", factory, cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct));
        Assert.Equal(1, runs);
        Assert.Equal(new Sample("v", 1), (await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).Value);
        Assert.Empty(rig.Harness.LogRecords(1001));
        Assert.False(rig.Breaker.IsOpen);
    }

    [Fact]
    public async Task GetOrCreateAsync_OneWaiterCancelledDuringFactory_OtherWaiterGetsValue()
    {
        await using var rig = await StartAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        var factoryCancelled = false;
        Func<CancellationToken, ValueTask<Sample>> factory = async ct =>
        {
            Interlocked.Increment(ref runs);
            started.TrySetResult();
            await release.Task.WaitAsync(Ct);
            factoryCancelled = ct.IsCancellationRequested;
            return new Sample("v", 1);
        };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // The staying caller leads, so the run never loses all its callers. The leaving one gets a moment to join the
        // run before it cancels; had it not joined yet, it cancels its store read instead, and the outcomes are the same.
        var staying = rig.Cache.GetOrCreateAsync("k", factory, cancellationToken: Ct).AsTask();
        await started.Task.WaitAsync(FaultRig.Bound, Ct);
        var leaving = rig.Cache.GetOrCreateAsync("k", factory, cancellationToken: cancel.Token).AsTask();
        await Task.Delay(200, Ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving.WaitAsync(FaultRig.Bound, Ct));
        Assert.False(staying.IsCompleted, "a waiter completed while the factory was still held");
        release.SetResult();

        Assert.Equal(new Sample("v", 1), await staying.WaitAsync(FaultRig.Bound, Ct));
        Assert.Equal(1, runs);
        Assert.False(factoryCancelled, "the factory's token was cancelled although a caller still waited");
        Assert.Equal(new Sample("v", 1), (await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_OnlyWaiterCancelledDuringFactory_FactoryCancelledAndNextCallRuns()
    {
        await using var rig = await StartAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var factoryCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var leaving = rig.Cache.GetOrCreateAsync<Sample>("k", async ct =>
        {
            using var _ = ct.Register(() => factoryCancelled.TrySetResult());
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return new Sample("never", 0);
        }, cancellationToken: cancel.Token).AsTask();
        await started.Task.WaitAsync(FaultRig.Bound, Ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving.WaitAsync(FaultRig.Bound, Ct));
        await factoryCancelled.Task.WaitAsync(FaultRig.Bound, Ct);
        Assert.Single(rig.Harness.LogRecords(4002));

        Assert.Equal(new Sample("v", 2), await rig.Cache.GetOrCreateAsync("k", _ => new ValueTask<Sample>(new Sample("v", 2)), cancellationToken: Ct));
        Assert.Equal(new Sample("v", 2), (await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).Value);
        Assert.False(rig.Breaker.IsOpen);
    }

    private static Task<FaultRig> StartAsync() =>
        FaultRig.StartAsync(
            o => o.DistributedCacheTimeout = LongDeadline,
            client: o =>
            {
                // Neither the cache's deadline nor the client's may end a held call within the bound: only cancellation can.
                o.AsyncTimeout = (int)LongDeadline.TotalMilliseconds;
                o.SyncTimeout = (int)LongDeadline.TotalMilliseconds;
            });
}
