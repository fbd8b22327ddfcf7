namespace CacheSerial;

/// <summary>
/// Thrown to a get-or-create caller when the factory reported a failure through <see cref="CacheFactoryContext.Fail"/>
/// and no stale value could be served instead.
/// </summary>
public sealed class CacheFactoryFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheFactoryFailedException()
        : this("The cache factory reported a failure.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CacheFactoryFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CacheFactoryFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
