using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.Logging;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Store failures never reach the caller: a failed read is a miss (1001), a failed write is logged (1002) and the
/// value still returned, failed removes and refreshes are logged (1003, 1004). The caller's own cancellation does
/// reach the caller, as <see cref="OperationCanceledException"/>.
/// </summary>
public abstract class StoreFailureBehaviourTests : BehaviourTestBase
{
    public static TheoryData<StoreFault> Faults => new()
    {
        StoreFault.Throw,
        StoreFault.Faulted,
        StoreFault.FaultedLater,
        StoreFault.TimedOut,
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task TryGetAsync_StoreReadFails_IsMissAndLogged(StoreFault fault)
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        chaos.ReadFault = fault;

        var result = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.False(result.HasValue);
        var record = Assert.Single(h.LogRecords(1001));
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Null(record.Exception); // client exceptions can name the key: the warning carries only its type
        Assert.Contains(h.LogRecords(1005), r => r.Level == LogLevel.Debug && r.Exception is not null);
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task GetOrCreateAsync_StoreReadFails_RunsFactoryAndStoresValue(StoreFault fault)
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        chaos.ReadFault = fault;
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync("k", Counting(runs, 2), cancellationToken: Ct);
        chaos.ReadFault = StoreFault.None;

        Assert.Equal(2, value);
        Assert.Equal(1, runs.Value);
        Assert.Equal(2, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
        Assert.NotEmpty(h.LogRecords(1001));
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task SetAsync_StoreWriteFails_CompletesAndLogged(StoreFault fault)
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.WriteFault = fault;

        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
        var record = Assert.Single(h.LogRecords(1002));
        Assert.Equal(LogLevel.Warning, record.Level);
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task GetOrCreateAsync_StoreWriteFails_ReturnsValueAndLogged(StoreFault fault)
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.WriteFault = fault;
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync("k", Counting(runs, new Sample("v", 1)), cancellationToken: Ct);

        Assert.Equal(new Sample("v", 1), value);
        Assert.Equal(1, runs.Value);
        Assert.Equal(1, chaos.Writes);
        Assert.False((await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
        await WaitForLogAsync(h, 1002); // the flight writes after releasing its callers
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task GetOrCreateAsync_StoreReadAndWriteFail_StillReturnsFactoryValue(StoreFault fault)
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.AllFaults = fault;
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync("k", Counting(runs, 1), cancellationToken: Ct);

        Assert.Equal(1, value);
        Assert.Equal(1, runs.Value);
        Assert.NotEmpty(h.LogRecords(1001));
        await WaitForLogAsync(h, 1002);
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task RemoveAsync_StoreFails_CompletesAndLogged(StoreFault fault)
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        chaos.RemoveFault = fault;

        await h.Cache.RemoveAsync("k", Ct);

        Assert.Single(h.LogRecords(1003));
        Assert.Equal(1, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task RefreshAsync_StoreFails_CompletesAndLogged(StoreFault fault)
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.RefreshFault = fault;

        await h.Cache.RefreshAsync("k", Ct);

        Assert.Single(h.LogRecords(1004));
    }

    [Fact]
    public async Task TryGetAsync_CallerCancelsWhileStoreHangs_ThrowsOperationCanceled()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.ReadFault = StoreFault.Hang;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var pending = h.Cache.TryGetAsync<int>("k", cancellationToken: cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Empty(h.LogRecords(1001));
    }

    [Fact]
    public async Task GetOrCreateAsync_CallerCancelsWhileStoreReadHangs_ThrowsWithoutRunningFactory()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.ReadFault = StoreFault.Hang;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var runs = new Counter();

        var pending = h.Cache.GetOrCreateAsync("k", Counting(runs, 1), cancellationToken: cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Equal(0, runs.Value);
    }

    [Fact]
    public async Task SetAsync_CallerCancelsWhileStoreWriteHangs_ThrowsOperationCanceled()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.WriteFault = StoreFault.Hang;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var pending = h.Cache.SetAsync("k", 1, cancellationToken: cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Empty(h.LogRecords(1002));
    }

    [Fact]
    public async Task RemoveAndRefresh_CallerCancelsWhileStoreHangs_ThrowOperationCanceled()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.AllFaults = StoreFault.Hang;
        using var removeCts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var refreshCts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var remove = h.Cache.RemoveAsync("k", removeCts.Token).AsTask();
        var refresh = h.Cache.RefreshAsync("k", refreshCts.Token).AsTask();
        await removeCts.CancelAsync();
        await refreshCts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => remove);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => refresh);
    }

    [Fact]
    public async Task EveryMethod_AlreadyCancelledToken_ThrowsOperationCanceled()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.AllFaults = StoreFault.Hang; // a store that would only ever answer through the token
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var runs = new Counter();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await h.Cache.TryGetAsync<int>("k", cancellationToken: cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await h.Cache.GetOrCreateAsync("k", Counting(runs, 1), cancellationToken: cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await h.Cache.SetAsync("k", 1, cancellationToken: cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await h.Cache.RemoveAsync("k", cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await h.Cache.RefreshAsync("k", cts.Token));
        Assert.Equal(0, runs.Value);
        Assert.Empty(h.LogRecords().Where(r => r.Level >= LogLevel.Warning));
    }

    [Fact]
    public async Task StoreTimeout_NotCausedByCaller_IsMissNotCancellation()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.ReadFault = StoreFault.TimedOut;

        var result = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.False(result.HasValue);
        Assert.Single(h.LogRecords(1001));
    }

    [Fact]
    public async Task StoreRecovers_AfterFailures_ReadsAndWritesAgain()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        chaos.AllFaults = StoreFault.Faulted;
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        chaos.AllFaults = StoreFault.None;
        await h.Cache.SetAsync("k", 2, cancellationToken: Ct);

        Assert.Equal(2, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    private static async Task WaitForLogAsync(CacheHarness h, int eventId)
    {
        // Polls for an outcome that is already on its way (no timing assertion): bounded so a bug fails instead of hanging.
        for (var i = 0; i < 500 && h.LogRecords(eventId).Count == 0; i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.NotEmpty(h.LogRecords(eventId));
    }
}
