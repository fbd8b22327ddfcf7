namespace CacheSerial;

/// <summary>
/// Thrown by reads when <see cref="CacheSerialOptions.OnDeserializationFailure"/> is
/// <see cref="DeserializationFailureBehavior.Throw"/> and a stored entry was rejected.
/// </summary>
public sealed class CacheEntryRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheEntryRejectedException()
        : this(CacheEntryRejectReason.NotAnEnvelope, "The cache entry was rejected.", null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public CacheEntryRejectedException(string message)
        : this(CacheEntryRejectReason.NotAnEnvelope, message, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CacheEntryRejectedException(string message, Exception? innerException)
        : this(CacheEntryRejectReason.CodecError, message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the entry was rejected.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The codec's exception, for <see cref="CacheEntryRejectReason.CodecError"/>.</param>
    public CacheEntryRejectedException(CacheEntryRejectReason reason, string message, Exception? innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the entry was rejected.</summary>
    public CacheEntryRejectReason Reason { get; }
}
