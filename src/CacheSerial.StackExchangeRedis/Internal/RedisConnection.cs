using StackExchange.Redis;

namespace CacheSerial.StackExchangeRedis.Internal;

/// <summary>
/// The store's way to its Redis database: a multiplexer it was given (never disposed here), or one it creates on first
/// use from a configuration and owns (disposed with the store). Connecting lazily, with AbortOnConnectFail off, lets an
/// application start while Redis is down: calls then fail or wait, and the cache's deadline and breaker handle that.
/// </summary>
internal sealed class RedisConnection : IDisposable, IAsyncDisposable
{
    private readonly ConfigurationOptions? _configuration;
    private readonly int _databaseIndex;
    private readonly Lock _gate = new();
    private IDatabase? _database;
    private Task<IDatabase>? _connecting;
    private ConnectionMultiplexer? _owned;
    private bool _disposed;

    /// <summary>Uses <paramref name="multiplexer"/>, which its owner disposes.</summary>
    public RedisConnection(IConnectionMultiplexer multiplexer, int databaseIndex)
    {
        _databaseIndex = databaseIndex;
        _database = multiplexer.GetDatabase(databaseIndex);
    }

    /// <summary>Connects on first use with <paramref name="configuration"/> (its AbortOnConnectFail already off) and owns the multiplexer.</summary>
    public RedisConnection(ConfigurationOptions configuration, int databaseIndex)
    {
        _configuration = configuration;
        _databaseIndex = databaseIndex;
    }

    /// <summary>True when this connection created its multiplexer and disposes it.</summary>
    public bool OwnsMultiplexer => _configuration is not null;

    /// <summary>The owned multiplexer once connected; for tests.</summary>
    public ConnectionMultiplexer? OwnedMultiplexer
    {
        get
        {
            lock (_gate)
            {
                return _owned;
            }
        }
    }

    /// <summary>The database; completes synchronously once connected.</summary>
    public ValueTask<IDatabase> GetDatabaseAsync()
    {
        var database = Volatile.Read(ref _database);
        return database is not null ? new ValueTask<IDatabase>(database) : new ValueTask<IDatabase>(Connect());
    }

    private Task<IDatabase> Connect()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // A failed attempt (a configuration error; an unreachable server does not fail with AbortOnConnectFail off)
            // is not cached: the next call tries again.
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectAsync();
            }

            return _connecting;
        }
    }

    private async Task<IDatabase> ConnectAsync()
    {
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration!).ConfigureAwait(false);
        lock (_gate)
        {
            if (!_disposed)
            {
                _owned = multiplexer;
                var database = multiplexer.GetDatabase(_databaseIndex);
                Volatile.Write(ref _database, database);
                return database;
            }
        }

        // Disposed while connecting: nobody else will close this one.
        await multiplexer.DisposeAsync().ConfigureAwait(false);
        throw new ObjectDisposedException(nameof(RedisConnection));
    }

    public void Dispose()
    {
        if (TakeOwned() is { } owned)
        {
            owned.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (TakeOwned() is { } owned)
        {
            await owned.DisposeAsync().ConfigureAwait(false);
        }
    }

    private ConnectionMultiplexer? TakeOwned()
    {
        lock (_gate)
        {
            _disposed = true;
            var owned = _owned;
            _owned = null;
            return owned;
        }
    }
}
