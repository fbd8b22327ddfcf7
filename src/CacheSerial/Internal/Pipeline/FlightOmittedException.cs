namespace CacheSerial.Internal;

/// <summary>
/// Completes a flight owned by a batch run whose factory returned no value for the flight's key. Never reaches a
/// caller: a single-key caller waiting on the flight runs its own factory, a batch caller leaves the key out.
/// </summary>
internal sealed class FlightOmittedException : Exception
{
    public FlightOmittedException()
        : base("The batch factory returned no value for this key.")
    {
    }

    public FlightOmittedException(string message)
        : base(message)
    {
    }

    public FlightOmittedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
