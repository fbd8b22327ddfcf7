using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace CacheSerial.Internal;

/// <summary>How a store call watched by <see cref="StoreCallDeadline"/> ended for its caller.</summary>
internal enum StoreCallEnd : byte
{
    /// <summary>The store answered.</summary>
    Completed,

    /// <summary>The store threw; <see cref="StoreCallOutcome{T}.Error"/> says what.</summary>
    Faulted,

    /// <summary>The deadline passed first; the store call goes on without the caller.</summary>
    TimedOut,

    /// <summary>The caller's token was cancelled first; the store call goes on without the caller.</summary>
    Canceled,
}

/// <summary>A store call's result as a value, so that giving up on a call costs no exception inside the race.</summary>
internal readonly struct StoreCallOutcome<T>
{
    public StoreCallOutcome(StoreCallEnd end, T value, Exception? error)
    {
        End = end;
        Value = value;
        Error = error;
    }

    public StoreCallEnd End { get; }

    public T Value { get; }

    public Exception? Error { get; }

    /// <summary>The caller gave up before the store answered: the lease passed to the race stays with it until the store ends.</summary>
    public bool Abandoned => End is StoreCallEnd.TimedOut or StoreCallEnd.Canceled;
}

/// <summary>
/// The cache's deadline on store calls, without a timer, task or registration per call. Calls still running are kept
/// in a list that one timer per cache checks a few times per deadline; the timer runs only while calls are pending.
/// A call is given up between one deadline and one tick (an eighth of the deadline) after it started. Each call is
/// raced by a pooled <see cref="StoreCallRace{T}"/>.
/// </summary>
internal sealed class StoreCallDeadline
{
    /// <summary>Ticks per deadline: the latest a call is given up is (1 + 1/TicksPerDeadline) deadlines after it started.</summary>
    public const int TicksPerDeadline = 8;

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly ITimer? _timer;
    private readonly TimeSpan _period;
    private StoreCallRace? _head;
    private bool _ticking;
    private int _idleTicks;

    public StoreCallDeadline(TimeSpan timeout, TimeProvider timeProvider)
    {
        Timeout = timeout;
        _time = timeProvider;
        if (timeout == System.Threading.Timeout.InfiniteTimeSpan)
        {
            return;
        }

        _period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, timeout.Ticks / TicksPerDeadline));

        // Created stopped; it must not capture the ExecutionContext (AsyncLocals) of whichever caller builds the cache.
        var restoreFlow = !ExecutionContext.IsFlowSuppressed();
        if (restoreFlow)
        {
            ExecutionContext.SuppressFlow();
        }

        try
        {
            _timer = timeProvider.CreateTimer(
                static state => ((StoreCallDeadline)state!).OnTick(), this, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        }
        finally
        {
            if (restoreFlow)
            {
                ExecutionContext.RestoreFlow();
            }
        }
    }

    /// <summary>The deadline, or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for none.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Calls being watched; for tests.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                var count = 0;
                for (var call = _head; call is not null; call = call.Next)
                {
                    count++;
                }

                return count;
            }
        }
    }

    /// <summary>Whether the timer is running; for tests (it stops once no call has been pending for a deadline).</summary>
    public bool IsTicking
    {
        get
        {
            lock (_lock)
            {
                return _ticking;
            }
        }
    }

    /// <summary>
    /// Waits for a store call under the deadline and <paramref name="cancellationToken"/>. When the caller gives up
    /// (<see cref="StoreCallOutcome{T}.Abandoned"/>), <paramref name="lease"/> is disposed once the store call ends;
    /// otherwise it stays the caller's. The store call's outcome is always observed.
    /// </summary>
    public ValueTask<StoreCallOutcome<T>> WaitAsync<T>(ValueTask<T> call, IDisposable? lease, CancellationToken cancellationToken)
    {
        if (call.IsCompleted)
        {
            try
            {
                return new(new StoreCallOutcome<T>(StoreCallEnd.Completed, call.Result, null));
            }
            catch (Exception ex)
            {
                return new(new StoreCallOutcome<T>(StoreCallEnd.Faulted, default!, ex));
            }
        }

        return StoreCallRace<T>.Rent().Start(this, call, default, isVoid: false, lease, cancellationToken);
    }

    /// <inheritdoc cref="WaitAsync{T}(ValueTask{T}, IDisposable?, CancellationToken)"/>
    public ValueTask<StoreCallOutcome<bool>> WaitAsync(ValueTask call, IDisposable? lease, CancellationToken cancellationToken)
    {
        if (call.IsCompleted)
        {
            try
            {
                call.GetAwaiter().GetResult();
                return new(new StoreCallOutcome<bool>(StoreCallEnd.Completed, true, null));
            }
            catch (Exception ex)
            {
                return new(new StoreCallOutcome<bool>(StoreCallEnd.Faulted, false, ex));
            }
        }

        return StoreCallRace<bool>.Rent().Start(this, default, call, isVoid: true, lease, cancellationToken);
    }

    /// <summary>Watches a call; starts the timer when it is stopped.</summary>
    internal void Add(StoreCallRace call)
    {
        if (_timer is null)
        {
            return;
        }

        call.StartedAt = _time.GetTimestamp();
        lock (_lock)
        {
            call.Next = _head;
            if (_head is not null)
            {
                _head.Previous = call;
            }

            _head = call;
            call.Listed = true;
            if (!_ticking)
            {
                _ticking = true;
                _idleTicks = 0;
                _timer.Change(_period, _period);
            }
        }
    }

    /// <summary>Stops watching a call (no-op when it is not watched).</summary>
    internal void Remove(StoreCallRace call)
    {
        if (_timer is null)
        {
            return;
        }

        lock (_lock)
        {
            Unlink(call);
        }
    }

    private void Unlink(StoreCallRace call)
    {
        if (!call.Listed)
        {
            return;
        }

        if (call.Previous is not null)
        {
            call.Previous.Next = call.Next;
        }
        else
        {
            _head = call.Next;
        }

        if (call.Next is not null)
        {
            call.Next.Previous = call.Previous;
        }

        call.Previous = null;
        call.Next = null;
        call.Listed = false;
    }

    private void OnTick()
    {
        lock (_lock)
        {
            if (_head is null)
            {
                // Idle for a whole deadline: stop, so an idle cache costs nothing and is not kept alive by its timer.
                if (++_idleTicks >= TicksPerDeadline && _ticking)
                {
                    _ticking = false;
                    _timer!.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
                }

                return;
            }

            _idleTicks = 0;
            var call = _head;
            while (call is not null)
            {
                var next = call.Next;
                if (_time.GetElapsedTime(call.StartedAt) >= Timeout && call.TryDecide())
                {
                    Unlink(call);
                    call.Abandon(StoreCallEnd.TimedOut);
                }

                call = next;
            }
        }
    }
}

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
    private ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter _voidCall;
    private bool _isVoid;
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

    internal ValueTask<StoreCallOutcome<T>> Start(
        StoreCallDeadline deadline, ValueTask<T> call, ValueTask voidCall, bool isVoid, IDisposable? lease, CancellationToken cancellationToken)
    {
        _deadline = deadline;
        _lease = lease;
        _holders = 2;
        _isVoid = isVoid;
        var version = _core.Version;
        deadline.Add(this);
        if (cancellationToken.CanBeCanceled)
        {
            // Registered before the store continuation, which disposes it: no callback can reach a reused race.
            _cancellation = cancellationToken.UnsafeRegister(static state => ((StoreCallRace<T>)state!).OnCanceled(), this);
        }

        if (_isVoid)
        {
            _voidCall = voidCall.ConfigureAwait(false).GetAwaiter();
            _voidCall.UnsafeOnCompleted(_onStoreEnded);
        }
        else
        {
            _call = call.ConfigureAwait(false).GetAwaiter();
            _call.UnsafeOnCompleted(_onStoreEnded);
        }

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
            T value;
            if (_isVoid)
            {
                _voidCall.GetResult();
                value = default!;
                if (typeof(T) == typeof(bool))
                {
                    value = (T)(object)true; // the JIT folds this for T = bool: no box
                }
            }
            else
            {
                value = _call.GetResult();
            }

            outcome = new StoreCallOutcome<T>(StoreCallEnd.Completed, value, null);
        }
        catch (Exception ex)
        {
            outcome = new StoreCallOutcome<T>(StoreCallEnd.Faulted, default!, ex);
        }

        _call = default;
        _voidCall = default;

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
            // The caller gave up on this call: the store is done with the lease only now.
            _lease?.Dispose();
            _lease = null;
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
