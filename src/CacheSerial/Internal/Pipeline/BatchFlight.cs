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

/// <summary>
/// The batch factory's token: cancelled when every flight the batch owns was abandoned by its callers (each flight
/// cancels its own token then), so the factory keeps running while any caller of any of its keys still waits.
/// </summary>
internal sealed class BatchCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly CancellationTokenRegistration[] _registrations;
    private int _remaining;

    public BatchCancellation(IReadOnlyList<CancellationToken> flightTokens)
    {
        _remaining = flightTokens.Count;
        _registrations = new CancellationTokenRegistration[flightTokens.Count];
        for (var i = 0; i < flightTokens.Count; i++)
        {
            _registrations[i] = flightTokens[i].UnsafeRegister(static s => ((BatchCancellation)s!).OnFlightAbandoned(), this);
        }
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        // Registrations first: disposing one waits for its running callback, so none touches the source afterwards.
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _source.Dispose();
    }

    private void OnFlightAbandoned()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _source.Cancel();
        }
    }
}
