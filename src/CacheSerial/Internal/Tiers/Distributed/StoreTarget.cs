using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>The key or keys of one store call, described for Debug logs only (keys never reach warnings).</summary>
internal readonly struct StoreTarget
{
    /// <summary>How many keys a Debug log line names for a bulk store call.</summary>
    private const int LoggedKeys = 10;

    private readonly CacheKey _key;
    private readonly IReadOnlyList<CacheKey>? _keys;

    public StoreTarget(CacheKey key) => _key = key;

    public StoreTarget(IReadOnlyList<CacheKey> keys) => _keys = keys;

    public int Count => _keys?.Count ?? 1;

    public CacheKey this[int index] => _keys is null ? _key : _keys[index];

    /// <summary>The caller's key, or the first few of a bulk call's keys; built only when Debug is on.</summary>
    public string Describe(ILogger logger)
    {
        if (_keys is null)
        {
            return _key.Key;
        }

        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return string.Empty;
        }

        var named = string.Join(", ", _keys.Take(LoggedKeys).Select(k => k.Key));
        return _keys.Count <= LoggedKeys ? $"{_keys.Count} keys: {named}" : $"{_keys.Count} keys: {named}, ...";
    }
}
