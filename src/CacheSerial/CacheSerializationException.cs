namespace CacheSerial;

/// <summary>
/// Thrown at the call site when the codec cannot write a value (a programmer error: the type is not supported by the
/// codec, or the codec's options reject it). The codec's own exception is the inner exception.
/// </summary>
public sealed class CacheSerializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheSerializationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public CacheSerializationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The codec's exception.</param>
    public CacheSerializationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
