namespace CacheSerial;

/// <summary>
/// Thrown to a get-or-create caller that waited <see cref="CacheEntryOptions.FactoryHardTimeout"/> for the factory when
/// no stale value could be served instead. The factory keeps running in the background and its result is stored.
/// </summary>
public sealed class CacheFactoryTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public CacheFactoryTimeoutException()
        : this("The cache factory did not finish within its hard timeout.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CacheFactoryTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CacheFactoryTimeoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The timeout that elapsed.</summary>
    public TimeSpan Timeout { get; init; }
}
