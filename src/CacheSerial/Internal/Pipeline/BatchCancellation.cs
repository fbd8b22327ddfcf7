namespace CacheSerial.Internal;

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
