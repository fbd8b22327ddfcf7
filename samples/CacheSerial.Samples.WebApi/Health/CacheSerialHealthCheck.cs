using CacheSerial;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CacheSerial.Samples.WebApi.Health;

/// <summary>
/// Reports a cache's store from <see cref="ICacheStoreHealth"/>, without calling the store: healthy, degraded while
/// calls fail below the breaker's threshold, unhealthy while the breaker is open. The cache still answers when its store
/// is down (every read is a miss), so an application may prefer to map Unavailable to Degraded for readiness.
/// </summary>
public sealed class CacheSerialHealthCheck(ICacheStoreHealth health) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["cache"] = health.CacheName, ["state"] = health.State.ToString() };
        return Task.FromResult(health.State switch
        {
            CacheStoreState.Healthy => HealthCheckResult.Healthy("The store answers; the circuit breaker is closed.", data),
            CacheStoreState.Degraded => HealthCheckResult.Degraded("Store calls are failing; the circuit breaker is still closed.", data: data),
            _ => new HealthCheckResult(context.Registration.FailureStatus, "The circuit breaker is open: reads are misses and writes are skipped.", data: data),
        });
    }
}
