using StackExchange.Redis;

namespace CacheSerial.StackExchangeRedis.Internal;

/// <summary>
/// A lock per entry shared by every process on this Redis: <c>SET lockkey token NX PX lease</c> to take it, a
/// compare-and-delete script to release it only while it still holds the caller's token (after a lease ran out, another
/// holder's lock is left alone). Both are single-key commands, so this works on Redis Cluster.
/// </summary>
internal sealed class RedisCacheStoreLock : ICacheStoreLock
{
    /// <summary>
    /// Follows the entry's stored key to form the lock's key. U+001D never occurs in a stored key (cache keys and prefixes
    /// may not contain control characters; the key builder's own separators are U+001E and U+001F), so a lock key is
    /// never an entry's key.
    /// </summary>
    public const string KeySuffix = "\u001Dlock";

    private const string ReleaseScript =
        "if redis.call('get',KEYS[1]) == ARGV[1] then return redis.call('del',KEYS[1]) else return 0 end";

    private readonly RedisConnection _connection;
    private readonly TimeSpan _lease;

    public RedisCacheStoreLock(RedisConnection connection, TimeSpan lease, TimeSpan waitTimeout)
    {
        _connection = connection;
        _lease = RedisCacheStore.Milliseconds(lease);
        WaitTimeout = waitTimeout;
    }

    public TimeSpan WaitTimeout { get; }

    public static string LockKey(string key) => string.Concat(key, KeySuffix);

    public async ValueTask<string?> TryAcquireAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await _connection.GetDatabaseAsync().ConfigureAwait(false);
        var token = Guid.NewGuid().ToString("N");
        return await database.StringSetAsync(LockKey(key), token, _lease, When.NotExists).ConfigureAwait(false) ? token : null;
    }

    public async ValueTask ReleaseAsync(string key, string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(token);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await _connection.GetDatabaseAsync().ConfigureAwait(false);
        await database.ScriptEvaluateAsync(ReleaseScript, [LockKey(key)], [token]).ConfigureAwait(false);
    }
}
