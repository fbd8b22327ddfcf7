using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using NeoSmart.Caching.Sqlite;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>
/// NeoSmart's SQLite <see cref="IDistributedCache"/> over a database file in a fresh temporary directory, deleted with
/// the directory at the end: the SQLite backend of the shared behaviour suites (an xunit assembly fixture).
/// </summary>
public sealed class SqliteFixture : IAsyncLifetime
{
    private string? _directory;
    private SqliteCache? _cache;

    /// <summary>The database file (its -wal and -shm companions sit next to it).</summary>
    public string DatabasePath { get; private set; } = string.Empty;

    public IDistributedCache Cache => _cache ?? throw new InvalidOperationException("The SQLite fixture has not started.");

    public ValueTask InitializeAsync()
    {
        // SqliteCache ships no SQLitePCLRaw provider (its release notes ask the application to set one).
        SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_e_sqlite3());
        _directory = Directory.CreateTempSubdirectory("cacheserial-sqlite-").FullName;
        DatabasePath = Path.Combine(_directory, "cache.db");
        _cache = new SqliteCache(Options.Create(new SqliteCacheOptions { CachePath = DatabasePath }));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_cache is not null)
        {
            await _cache.DisposeAsync().ConfigureAwait(false);
            _cache = null;
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
            _directory = null;
        }
    }
}
