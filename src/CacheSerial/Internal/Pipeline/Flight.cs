namespace CacheSerial.Internal;

/// <summary>Untyped base so one dictionary can hold flights of every value type.</summary>
internal abstract class Flight
{
}

/// <summary>
/// One factory run shared by every concurrent caller of a key. Callers join while it runs; a caller that leaves (its
/// token cancelled) only stops waiting; when the last one leaves before completion, the factory's token is cancelled.
/// A background run (eager refresh, or one whose callers timed out and took a stale value) is never cancelled.
/// </summary>
internal sealed class Flight<T> : Flight, IDisposable
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _factoryCancellation = new();
    private readonly Lock _gate = new();
    private int _waiters;
    private bool _background;
    private bool _abandoned;
    private bool _completed;
    private T _produced = default!;
    private volatile bool _hasProduced;

    /// <param name="background">True for a run no caller waits for; false counts the creating caller as a waiter.</param>
    public Flight(bool background)
    {
        _background = background;
        _waiters = background ? 0 : 1;
    }

    public Task<T> Task => _completion.Task;

    public CancellationToken FactoryToken => _factoryCancellation.Token;

    /// <summary>Every caller left before completion (the factory's token was cancelled).</summary>
    public bool IsAbandoned
    {
        get
        {
            lock (_gate)
            {
                return _abandoned;
            }
        }
    }

    /// <summary>Whether the run's outcome matters beyond its waiting callers (it then logs failures at warning level).</summary>
    public bool HasBackgroundInterest
    {
        get
        {
            lock (_gate)
            {
                return _background;
            }
        }
    }

    /// <summary>Adds a waiter; false when the flight was abandoned and a new one must start.</summary>
    public bool TryJoin()
    {
        lock (_gate)
        {
            if (_abandoned)
            {
                return false;
            }

            _waiters++;
            return true;
        }
    }

    /// <summary>Removes a waiter; true when it was the last one before completion, so the factory was cancelled.</summary>
    public bool Leave()
    {
        lock (_gate)
        {
            _waiters--;
            if (_waiters > 0 || _completed || _background)
            {
                return false;
            }

            _abandoned = true;
        }

        try
        {
            _factoryCancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The factory finished (and its run disposed this flight) between the check above and here: nothing to cancel.
        }

        return true;
    }

    /// <summary>
    /// Records the factory's value as soon as it returns, before it is encoded and stored: a waiter whose timeout fires
    /// during the store write takes this value, since only the factory's time counts against factory timeouts.
    /// </summary>
    public void SetProduced(T value)
    {
        _produced = value;
        _hasProduced = true;
    }

    public bool TryGetProduced(out T value)
    {
        if (!_hasProduced) // volatile read first: the value written before the flag is then visible
        {
            value = default!;
            return false;
        }

        value = _produced;
        return true;
    }

    /// <summary>A waiter that timed out stops waiting but wants the run to finish and be stored: it is never cancelled now.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _waiters--;
            _background = true;
        }
    }

    public void SetResult(T value)
    {
        MarkCompleted();
        _completion.TrySetResult(value);
    }

    public void SetException(Exception exception)
    {
        bool abandoned;
        lock (_gate)
        {
            _completed = true;
            abandoned = _abandoned;
        }

        if (abandoned)
        {
            // Nobody is waiting; a cancelled task raises no unobserved-exception event.
            _completion.TrySetCanceled();
            return;
        }

        _completion.TrySetException(exception);
        _ = _completion.Task.Exception; // observed here: waiters that left early must not cause UnobservedTaskException
    }

    public void Dispose() => _factoryCancellation.Dispose();

    private void MarkCompleted()
    {
        lock (_gate)
        {
            _completed = true;
        }
    }
}
