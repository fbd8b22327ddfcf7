namespace CacheSerial.Internal;

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

    /// <summary>Called with the exception of a call that failed after its caller gave up on it (so it is not lost).</summary>
    public Action<Exception>? OnAbandonedCallFailed { get; init; }

    /// <summary>
    /// Waits for a store call under the deadline and <paramref name="cancellationToken"/>. When the caller gives up
    /// (<see cref="StoreCallOutcome{T}.Abandoned"/>), <paramref name="lease"/> is disposed once the store call ends;
    /// otherwise it stays the caller's; a disposable result of a call that ends after the caller gave up is disposed too. The
    /// store call's outcome is always observed: a failure after the caller gave up goes to <see cref="OnAbandonedCallFailed"/>.
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

        return StoreCallRace<T>.Rent().Start(this, call, lease, cancellationToken);
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
