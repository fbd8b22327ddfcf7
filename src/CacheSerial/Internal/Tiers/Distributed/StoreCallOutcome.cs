namespace CacheSerial.Internal;

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
