using CacheSerial.TestSupport;
using CacheSerial.Internal;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Internal;

/// <summary>
/// The mechanism behind the store deadline: one timer per cache, pooled races. Store calls are task completion sources
/// completed by the test; the clock is fake. Completions of given-up calls run on the thread pool, so they are awaited.
/// </summary>
public sealed class StoreCallDeadlineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(800);
    private static readonly TimeSpan Tick = Timeout / StoreCallDeadline.TicksPerDeadline;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WaitAsync_StoreAnswersInTime_CompletedWithValueAndCallerKeepsLease()
    {
        var (deadline, time) = Create();
        var store = new TaskCompletionSource<int>();
        var lease = new Lease();

        var wait = deadline.WaitAsync(new ValueTask<int>(store.Task), lease, Ct);
        time.Advance(Timeout - Tick);
        store.SetResult(42);
        var outcome = await wait;

        Assert.Equal(StoreCallEnd.Completed, outcome.End);
        Assert.Equal(42, outcome.Value);
        Assert.False(outcome.Abandoned);
        Assert.False(lease.Disposed);
        Assert.Equal(0, deadline.PendingCount());
    }

    [Fact]
    public async Task WaitAsync_StoreThrows_FaultedWithItsExceptionAndCallerKeepsLease()
    {
        var (deadline, _) = Create();
        var store = new TaskCompletionSource<int>();
        var lease = new Lease();
        var error = new InvalidOperationException("store down");

        var wait = deadline.WaitAsync(new ValueTask<int>(store.Task), lease, Ct);
        store.SetException(error);
        var outcome = await wait;

        Assert.Equal(StoreCallEnd.Faulted, outcome.End);
        Assert.Same(error, outcome.Error);
        Assert.False(lease.Disposed);
    }

    [Fact]
    public async Task WaitAsync_DeadlinePasses_TimedOutAndLeaseDisposedOnlyWhenStoreEnds()
    {
        var (deadline, time) = Create();
        var store = new TaskCompletionSource<int>();
        var lease = new Lease();

        var wait = deadline.WaitAsync(new ValueTask<int>(store.Task), lease, Ct).AsTask();
        time.Advance(Timeout);
        var outcome = await wait;

        Assert.Equal(StoreCallEnd.TimedOut, outcome.End);
        Assert.True(outcome.Abandoned);
        Assert.False(lease.Disposed);
        store.SetException(new InvalidOperationException("late failure")); // observed by the race, not thrown anywhere
        Assert.True(lease.Disposed);
    }

    [Fact]
    public async Task WaitAsync_OneTickBeforeDeadline_StillWatched()
    {
        var (deadline, time) = Create();
        var store = new TaskCompletionSource<int>();

        var wait = deadline.WaitAsync(new ValueTask<int>(store.Task), null, Ct);
        time.Advance(Timeout - Tick);

        Assert.Equal(1, deadline.PendingCount()); // a timed-out call is unlinked by the tick itself
        store.SetResult(1);
        Assert.Equal(0, deadline.PendingCount());
        Assert.Equal(StoreCallEnd.Completed, (await wait).End);
    }

    [Fact]
    public async Task WaitAsync_StartedMidTick_GivenUpWithinOneTickAfterDeadline()
    {
        var (deadline, time) = Create();
        var first = new TaskCompletionSource<int>();
        var late = new TaskCompletionSource<int>();
        var firstWait = deadline.WaitAsync(new ValueTask<int>(first.Task), null, Ct).AsTask(); // starts the timer
        time.Advance(Tick / 2);

        var wait = deadline.WaitAsync(new ValueTask<int>(late.Task), null, Ct).AsTask();
        time.Advance(Timeout - (Tick / 2)); // the first call's deadline: the late one has not had its full deadline yet

        Assert.Equal(1, deadline.PendingCount());
        time.Advance(Tick);
        Assert.Equal(StoreCallEnd.TimedOut, (await wait).End);
        Assert.Equal(0, deadline.PendingCount());
        Assert.Equal(StoreCallEnd.TimedOut, (await firstWait).End);
        first.SetResult(0);
        late.SetResult(0);
    }

    [Fact]
    public async Task WaitAsync_CallerCancels_CanceledAndLeaseDisposedOnlyWhenStoreEnds()
    {
        var (deadline, _) = Create();
        var store = new TaskCompletionSource<int>();
        var lease = new Lease();
        using var cts = new CancellationTokenSource();

        var wait = deadline.WaitAsync(new ValueTask<int>(store.Task), lease, cts.Token).AsTask();
        await cts.CancelAsync();
        var outcome = await wait;

        Assert.Equal(StoreCallEnd.Canceled, outcome.End);
        Assert.Equal(0, deadline.PendingCount());
        Assert.False(lease.Disposed);
        store.SetResult(1);
        Assert.True(lease.Disposed);
    }

    [Fact]
    public async Task WaitAsync_TokenAlreadyCanceled_Canceled()
    {
        var (deadline, _) = Create();
        var store = new TaskCompletionSource<int>();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var outcome = await deadline.WaitAsync(new ValueTask<int>(store.Task), null, cts.Token);

        Assert.Equal(StoreCallEnd.Canceled, outcome.End);
        store.SetResult(1);
    }

    [Fact]
    public async Task WaitAsync_NoDeadline_WaitsForStoreButHonoursCancellation()
    {
        var (deadline, time) = Create(System.Threading.Timeout.InfiniteTimeSpan);
        var slow = new TaskCompletionSource<int>();
        var abandoned = new TaskCompletionSource<int>();
        using var cts = new CancellationTokenSource();

        var wait = deadline.WaitAsync(new ValueTask<int>(slow.Task), null, Ct);
        var canceled = deadline.WaitAsync(new ValueTask<int>(abandoned.Task), null, cts.Token).AsTask();
        time.Advance(TimeSpan.FromHours(1));

        Assert.False(wait.IsCompleted);
        Assert.False(deadline.IsTicking());
        await cts.CancelAsync();
        Assert.Equal(StoreCallEnd.Canceled, (await canceled).End);
        slow.SetResult(7);
        Assert.Equal(7, (await wait).Value);
        abandoned.SetResult(0);
    }

    [Fact]
    public async Task WaitAsync_CallEndsAfterCallerGaveUp_DisposableResultDisposed()
    {
        var (deadline, time) = Create();
        var store = new TaskCompletionSource<Lease>();
        var result = new Lease();

        var wait = deadline.WaitAsync(new ValueTask<Lease>(store.Task), null, Ct).AsTask();
        time.Advance(Timeout + Tick);
        Assert.Equal(StoreCallEnd.TimedOut, (await wait).End);
        store.SetResult(result);

        Assert.True(result.Disposed); // nobody takes a result the caller gave up on: its buffer goes back to its owner
    }

    [Fact]
    public async Task WaitAsync_CallFailsAfterCallerGaveUp_FailureReported()
    {
        var time = new FakeTimeProvider();
        var reported = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var deadline = new StoreCallDeadline(Timeout, time) { OnAbandonedCallFailed = e => reported.TrySetResult(e) };
        var store = new TaskCompletionSource<int>();
        var error = new InvalidOperationException("connection refused");

        var wait = deadline.WaitAsync(new ValueTask<int>(store.Task), null, Ct).AsTask();
        time.Advance(Timeout + Tick);
        Assert.Equal(StoreCallEnd.TimedOut, (await wait).End);
        store.SetException(error);

        Assert.Same(error, await reported.Task.WaitAsync(Ct));
    }

    [Fact]
    public async Task WaitAsync_CompletedCall_AnsweredWithoutWatching()
    {
        var (deadline, _) = Create();

        var done = await deadline.WaitAsync(new ValueTask<int>(3), null, Ct);
        var failed = await deadline.WaitAsync(ValueTask.FromException<int>(new InvalidOperationException()), null, Ct);

        Assert.Equal(3, done.Value);
        Assert.Equal(StoreCallEnd.Faulted, failed.End);
        Assert.False(deadline.IsTicking());
    }

    [Fact]
    public async Task Timer_IdleForADeadline_StopsAndRestartsForNextCall()
    {
        var (deadline, time) = Create();
        var store = new TaskCompletionSource<int>();
        var wait = deadline.WaitAsync(new ValueTask<int>(store.Task), null, Ct);
        Assert.True(deadline.IsTicking());
        store.SetResult(1);
        await wait;

        time.Advance(Timeout);
        Assert.False(deadline.IsTicking());

        var next = deadline.WaitAsync(new ValueTask<int>(new TaskCompletionSource<int>().Task), null, Ct).AsTask();
        Assert.True(deadline.IsTicking());
        time.Advance(Timeout);
        Assert.Equal(StoreCallEnd.TimedOut, (await next).End);
    }

    [Fact]
    public async Task WaitAsync_ManyCallsReusingRaces_EachGetsItsOwnOutcome()
    {
        // Races are pooled: a reused race must not carry the previous call's value, lease or decision.
        var (deadline, time) = Create();
        for (var i = 0; i < 200; i++)
        {
            var store = new TaskCompletionSource<int>();
            var lease = new Lease();
            var wait = deadline.WaitAsync(new ValueTask<int>(store.Task), lease, Ct).AsTask();
            if (i % 3 == 0)
            {
                time.Advance(Timeout);
                Assert.Equal(StoreCallEnd.TimedOut, (await wait).End);
                store.SetResult(i);
                Assert.True(lease.Disposed);
            }
            else
            {
                store.SetResult(i);
                var outcome = await wait;
                Assert.Equal(StoreCallEnd.Completed, outcome.End);
                Assert.Equal(i, outcome.Value);
                Assert.False(lease.Disposed);
            }
        }

        Assert.Equal(0, deadline.PendingCount());
    }

    private static (StoreCallDeadline Deadline, FakeTimeProvider Time) Create(TimeSpan? timeout = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        return (new StoreCallDeadline(timeout ?? Timeout, time), time);
    }

    private sealed class Lease : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
