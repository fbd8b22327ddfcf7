namespace CacheSerial;

/// <summary>
/// Thrown by an <see cref="ICacheStore"/> when a key holds a value of another kind than the store writes (another
/// client's Redis hash or list, say: Redis answers <c>WRONGTYPE</c>). The cache treats a read that meets it as a miss
/// (log 1007), and a write that meets it removes the foreign value and writes once more (log 1008). The store
/// answered, so it does not count against the circuit breaker.
/// </summary>
public sealed class CacheStoreWrongTypeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheStoreWrongTypeException()
        : base("The key holds a value of another kind, written by another client.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    public CacheStoreWrongTypeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The store client's own error.</param>
    public CacheStoreWrongTypeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
