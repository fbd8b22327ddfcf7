using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace CacheSerial.Benchmarks.Compare;

/// <summary>
/// One cache stack in the comparison. To add a contender, implement this (and <see cref="IBulkReadContender"/> if it has
/// a bulk read) and list it in <see cref="ContenderCatalog"/>. Every method may throw: the harness records the failure,
/// keeps measuring the others and exits non-zero.
/// </summary>
public interface ICacheContender : IAsyncDisposable
{
    /// <summary>The row label in the report.</summary>
    string Name { get; }

    /// <summary>What is measured: the API called and the serializer, for the report's contender list.</summary>
    string Description { get; }

    /// <summary>Builds the stack over the shared connection. Keys must live under <see cref="ContenderEnvironment.KeyPrefix"/>.</summary>
    ValueTask SetupAsync(ContenderEnvironment environment, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> through the contender's own write path.</summary>
    ValueTask SetAsync(string key, Product value, CancellationToken cancellationToken);

    /// <summary>Reads a key known to be present through the contender's usual call; must throw when it is a miss.</summary>
    ValueTask<Product> HitAsync(string key, CancellationToken cancellationToken);

    /// <summary>Get-or-create: on a miss runs <paramref name="factory"/>, stores and returns its value.</summary>
    ValueTask<Product> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<Product>> factory, CancellationToken cancellationToken);
}

/// <summary>A contender with a real bulk read (one round trip for many keys).</summary>
public interface IBulkReadContender
{
    /// <summary>Reads every key (all present); returns how many were hits.</summary>
    ValueTask<int> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);
}

/// <summary>What the harness gives every contender.</summary>
/// <param name="Connection">The one multiplexer every contender shares.</param>
/// <param name="KeyPrefix">A key namespace of this contender in this run (used as RedisCache's instance name, or as a raw key prefix).</param>
/// <param name="Expiration">Lifetime of every entry written, so a run leaves nothing behind for long.</param>
/// <param name="DistributedCache">
/// The IDistributedCache the contenders that use one share instead of a RedisCache over <paramref name="Connection"/>
/// (an in-memory one measures a stack's own CPU cost per hit without the network: Bdn/OverheadBenchmarks.cs).
/// </param>
public sealed record ContenderEnvironment(IConnectionMultiplexer Connection, string KeyPrefix, TimeSpan Expiration, IDistributedCache? DistributedCache = null);

/// <summary>Thrown by a contender whose read of a present key came back empty: a broken contender, not a slow one.</summary>
public sealed class UnexpectedMissException(string contender, string key)
    : Exception($"{contender}: expected a hit for '{key}' but the cache reported a miss.");
