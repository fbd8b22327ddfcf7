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
