using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CacheSerial.StackExchangeRedis.Internal;

/// <summary>
/// The store's way to its Redis database: a multiplexer it was given (never disposed here), or one it creates on first
/// use from a configuration and owns (disposed with the store). Connecting lazily, with AbortOnConnectFail off, lets an
/// application start while Redis is down: calls then fail or wait, and the cache's deadline and breaker handle that.
/// The multiplexer's connection failures and restorations are logged (6001-6004), so a wrong port or a Redis outage shows
/// as such and not only as the cache's store timeouts.
/// </summary>
internal sealed class RedisConnection : IDisposable, IAsyncDisposable
{
    private readonly ConfigurationOptions? _configuration;
    private readonly int _databaseIndex;
    private readonly string _cacheName;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private IConnectionMultiplexer? _observed;
    private IDatabase? _database;
    private Task<IDatabase>? _connecting;
    private ConnectionMultiplexer? _owned;
    private bool _disposed;

    /// <summary>Uses <paramref name="multiplexer"/>, which its owner disposes.</summary>
    public RedisConnection(IConnectionMultiplexer multiplexer, int databaseIndex, string cacheName = "", ILogger? logger = null)
    {
        _databaseIndex = databaseIndex;
        _cacheName = cacheName;
        _logger = logger ?? NullLogger.Instance;
        _database = multiplexer.GetDatabase(databaseIndex);
        Observe(multiplexer);
    }

    /// <summary>Connects on first use with <paramref name="configuration"/> (its AbortOnConnectFail already off) and owns the multiplexer.</summary>
    public RedisConnection(ConfigurationOptions configuration, int databaseIndex, string cacheName = "", ILogger? logger = null)
    {
        _configuration = configuration;
        _databaseIndex = databaseIndex;
        _cacheName = cacheName;
        _logger = logger ?? NullLogger.Instance;
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
                Observe(multiplexer);
                if (!multiplexer.IsConnected && _logger.IsEnabled(LogLevel.Warning))
                {
                    // The first attempt's failure was raised before the handlers were attached: say so once here.
                    Log.NotConnectedAtStart(_logger, _cacheName, string.Join(", ", _configuration!.EndPoints.Select(Describe)));
                }

                var database = multiplexer.GetDatabase(_databaseIndex);
                Volatile.Write(ref _database, database);
                return database;
            }
        }

        // Disposed while connecting: nobody else will close this one.
        await multiplexer.DisposeAsync().ConfigureAwait(false);
        throw new ObjectDisposedException(nameof(RedisConnection));
    }

    private void Observe(IConnectionMultiplexer multiplexer)
    {
        if (_logger == NullLogger.Instance)
        {
            return;
        }

        multiplexer.ConnectionFailed += OnConnectionFailed;
        multiplexer.ConnectionRestored += OnConnectionRestored;
        _observed = multiplexer;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (!_logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        var endpoint = Describe(e.EndPoint);
        Log.ConnectionFailed(_logger, _cacheName, e.ConnectionType, endpoint, e.FailureType, e.Exception?.GetType().Name ?? "none");
        Log.ConnectionFailureDetail(_logger, _cacheName, e.ConnectionType, endpoint, e.FailureType, e.Exception);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        var endpoint = Describe(e.EndPoint);
        Log.ConnectionRestored(_logger, _cacheName, e.ConnectionType, endpoint);
    }

    private static string Describe(System.Net.EndPoint? endpoint) => endpoint switch
    {
        null => "(unknown endpoint)",
        System.Net.DnsEndPoint dns => dns.Host + ":" + dns.Port.ToString(CultureInfo.InvariantCulture),
        _ => endpoint.ToString() ?? "(unknown endpoint)",
    };

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

            // A shared multiplexer outlives this store: stop logging its events under this cache's name.
            if (_observed is { } observed)
            {
                observed.ConnectionFailed -= OnConnectionFailed;
                observed.ConnectionRestored -= OnConnectionRestored;
                _observed = null;
            }

            var owned = _owned;
            _owned = null;
            return owned;
        }
    }
}
