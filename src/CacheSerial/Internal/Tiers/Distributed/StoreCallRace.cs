using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace CacheSerial.Internal;

/// <summary>The part of a race that <see cref="StoreCallDeadline"/> sees: the list links and the decision.</summary>
internal abstract class StoreCallRace
{
    private int _decided;

    internal StoreCallRace? Previous { get; set; }

    internal StoreCallRace? Next { get; set; }

    internal bool Listed { get; set; }

    internal long StartedAt { get; set; }

    /// <summary>True for exactly one of the store's answer, the deadline and the caller's cancellation.</summary>
    internal bool TryDecide() => Interlocked.Exchange(ref _decided, 1) == 0;

    /// <summary>Completes the caller's wait as given up, on the thread pool (never on the timer's or the canceller's thread).</summary>
    internal abstract void Abandon(StoreCallEnd end);

    protected void ResetDecision() => _decided = 0;
}

/// <summary>
/// One wait for a store call, pooled: it completes when the store answers, the deadline passes or the caller cancels,
/// whichever comes first, and goes back to the pool once both the caller has its outcome and the store call has ended.
/// </summary>
internal sealed class StoreCallRace<T> : StoreCallRace, IValueTaskSource<StoreCallOutcome<T>>, IThreadPoolWorkItem
{
    private readonly Action _onStoreEnded;
    private ManualResetValueTaskSourceCore<StoreCallOutcome<T>> _core;
    private ConfiguredValueTaskAwaitable<T>.ConfiguredValueTaskAwaiter _call;
    private StoreCallDeadline? _deadline;
    private IDisposable? _lease;
    private CancellationTokenRegistration _cancellation;
    private StoreCallEnd _abandonedAs;

    // The caller's GetResult and the store call's end: the race is reused when both have happened.
    private int _holders;

    private StoreCallRace()
    {
        _onStoreEnded = OnStoreEnded;
    }

    public static StoreCallRace<T> Rent() => ReusePool<StoreCallRace<T>>.TryRent() ?? new StoreCallRace<T>();

    internal ValueTask<StoreCallOutcome<T>> Start(StoreCallDeadline deadline, ValueTask<T> call, IDisposable? lease, CancellationToken cancellationToken)
    {
        _deadline = deadline;
        _lease = lease;
        _holders = 2;
        var version = _core.Version;
        deadline.Add(this);
        if (cancellationToken.CanBeCanceled)
        {
            // Registered before the store continuation, which disposes it: no callback can reach a reused race.
            _cancellation = cancellationToken.UnsafeRegister(static state => ((StoreCallRace<T>)state!).OnCanceled(), this);
        }

        _call = call.ConfigureAwait(false).GetAwaiter();
        _call.UnsafeOnCompleted(_onStoreEnded);

        return new ValueTask<StoreCallOutcome<T>>(this, version);
    }

    private void OnCanceled()
    {
        if (TryDecide())
        {
            _deadline!.Remove(this);
            Abandon(StoreCallEnd.Canceled);
        }
    }

    internal override void Abandon(StoreCallEnd end)
    {
        _abandonedAs = end;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => _core.SetResult(new StoreCallOutcome<T>(_abandonedAs, default!, null));

    private void OnStoreEnded()
    {
        StoreCallOutcome<T> outcome;
        try
        {
            outcome = new StoreCallOutcome<T>(StoreCallEnd.Completed, _call.GetResult(), null);
        }
        catch (Exception ex)
        {
            outcome = new StoreCallOutcome<T>(StoreCallEnd.Faulted, default!, ex);
        }

        _call = default;

        // Waits for a cancellation callback running now; it does no more than decide and queue.
        _cancellation.Dispose();
        _cancellation = default;
        if (TryDecide())
        {
            _deadline!.Remove(this);
            _lease = null; // the caller keeps it
            _core.SetResult(outcome);
        }
        else
        {
            // The caller gave up on this call: the store is done with the lease only now, nobody takes the result (a read's
            // lease goes back to its owner), and a failure is reported so that a wrong endpoint is not seen as a timeout only.
            _lease?.Dispose();
            _lease = null;
            if (outcome.End == StoreCallEnd.Faulted)
            {
                _deadline!.OnAbandonedCallFailed?.Invoke(outcome.Error!);
            }
            else if (outcome.Value is IDisposable result)
            {
                result.Dispose(); // boxes a struct result, on this rare path only
            }
        }

        Release();
    }

    public StoreCallOutcome<T> GetResult(short token)
    {
        var outcome = _core.GetResult(token);
        Release();
        return outcome;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Release()
    {
        if (Interlocked.Decrement(ref _holders) != 0)
        {
            return;
        }

        _core.Reset();
        _deadline = null;
        ResetDecision();
        ReusePool<StoreCallRace<T>>.Return(this);
    }
}
