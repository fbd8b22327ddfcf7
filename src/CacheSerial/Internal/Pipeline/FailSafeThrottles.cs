using System.Collections.Concurrent;

namespace CacheSerial.Internal;

/// <summary>
/// Fail-safe throttles: until when (unix ms) a key's failing factory is not called again while a stale value exists.
/// Bounded: during a long outage over many keys, expired throttles go first, then all.
/// </summary>
internal sealed class FailSafeThrottles(TimeProvider time)
{
    private const int Maximum = 10_000;

    private readonly ConcurrentDictionary<FlightKey, long> _until = new();

    public void Start(FlightKey key, TimeSpan duration)
    {
        if (_until.Count >= Maximum)
        {
            Purge();
        }

        _until[key] = time.GetUtcNow().ToUnixTimeMilliseconds() + (long)duration.TotalMilliseconds;
    }

    public bool IsThrottled(FlightKey key)
    {
        if (_until.IsEmpty || !_until.TryGetValue(key, out var until))
        {
            return false;
        }

        if (time.GetUtcNow().ToUnixTimeMilliseconds() < until)
        {
            return true;
        }

        _until.TryRemove(new KeyValuePair<FlightKey, long>(key, until));
        return false;
    }

    public void Clear(FlightKey key)
    {
        if (!_until.IsEmpty)
        {
            _until.TryRemove(key, out _);
        }
    }

    private void Purge()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var entry in _until)
        {
            if (entry.Value <= now)
            {
                _until.TryRemove(entry);
            }
        }

        if (_until.Count >= Maximum)
        {
            _until.Clear();
        }
    }
}
