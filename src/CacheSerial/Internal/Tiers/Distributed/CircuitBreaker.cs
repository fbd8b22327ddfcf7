using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// Counts store calls that failed in a row; at the threshold it opens for a while, during which calls are not made.
/// After that, one call at a time probes the store: a success closes it, a failure opens it again. Logs state changes
/// only, never individual calls.
/// </summary>
internal sealed class CircuitBreaker
{
    private const int Closed = 0;
    private const int Open = 1;
    private const int Probing = 2;

    private readonly string _cacheName;
    private readonly TimeSpan _duration;
    private readonly int _threshold;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CacheMetrics _metrics;
    private int _state;
    private int _failures;
    private long _openUntilMs;
    private long _transitions;

    public CircuitBreaker(string cacheName, TimeSpan duration, int threshold, TimeProvider time, ILogger logger, CacheMetrics metrics)
    {
        _cacheName = cacheName;
        _duration = duration;
        _threshold = threshold;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>False while the breaker is open (or another call is probing): the call must not reach the store.</summary>
    public bool IsOpen => Volatile.Read(ref _state) != Closed;

    /// <summary>
    /// For health checks: unavailable while open (or probing), degraded while the last store call failed but the breaker
    /// is closed (or turned off), else healthy.
    /// </summary>
    public CacheStoreState State =>
        IsOpen ? CacheStoreState.Unavailable
        : Volatile.Read(ref _failures) != 0 ? CacheStoreState.Degraded
        : CacheStoreState.Healthy;

    /// <summary>How many times the breaker opened or closed, for tests and diagnostics.</summary>
    public long Transitions => Interlocked.Read(ref _transitions);

    /// <summary>
    /// Whether a store call may go ahead. While open it returns false until the open period ends; then exactly one
    /// caller gets true (the probe) and must report its outcome.
    /// </summary>
    public bool TryEnter()
    {
        var state = Volatile.Read(ref _state);
        if (state == Closed)
        {
            return true;
        }

        if (state == Probing || _time.GetUtcNow().ToUnixTimeMilliseconds() < Volatile.Read(ref _openUntilMs))
        {
            return false;
        }

        return Interlocked.CompareExchange(ref _state, Probing, Open) == Open;
    }

    public void OnSuccess()
    {
        if (Volatile.Read(ref _failures) != 0)
        {
            Interlocked.Exchange(ref _failures, 0); // only when needed: a write on every hit would contend across cores
        }

        if (Volatile.Read(ref _state) == Probing && Interlocked.CompareExchange(ref _state, Closed, Probing) == Probing)
        {
            Interlocked.Increment(ref _transitions);
            _metrics.BreakerTransition(_cacheName, opened: false);
            Log.CircuitBreakerClosed(_logger, _cacheName);
        }
    }

    public void OnFailure()
    {
        if (_duration <= TimeSpan.Zero)
        {
            Interlocked.Increment(ref _failures); // the breaker is off, but health still reports the failing store
            return;
        }

        if (Volatile.Read(ref _state) == Probing)
        {
            Volatile.Write(ref _openUntilMs, _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)_duration.TotalMilliseconds);
            Volatile.Write(ref _state, Open);
            Log.CircuitBreakerStillOpen(_logger, _cacheName, _duration);
            return;
        }

        var failures = Interlocked.Increment(ref _failures);
        if (failures >= _threshold && Volatile.Read(ref _state) == Closed)
        {
            Volatile.Write(ref _openUntilMs, _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)_duration.TotalMilliseconds);
            if (Interlocked.CompareExchange(ref _state, Open, Closed) == Closed)
            {
                Interlocked.Exchange(ref _failures, 0);
                Interlocked.Increment(ref _transitions);
                _metrics.BreakerTransition(_cacheName, opened: true);
                Log.CircuitBreakerOpened(_logger, _cacheName, failures, _duration);
            }
        }
    }

    /// <summary>A probe that ended without an answer either way (the caller cancelled): let the next call probe.</summary>
    public void OnAbandoned() => Interlocked.CompareExchange(ref _state, Open, Probing);
}
