namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>
/// The load of the distributed stampede tests: every caller of every cache (each cache on its own multiplexer, as
/// separate processes would be) calls GetOrCreateAsync on one cold key at the same moment, with a factory that takes a
/// while, so the others find the lock held.
/// </summary>
internal static class DistributedStampede
{
    /// <summary>The callers' values (cache index as "made-by-N") and how many times a factory ran in total.</summary>
    public static async Task<(string[] Results, int FactoryRuns)> RunAsync(
        IReadOnlyList<ITypedCache> caches, int callersPerCache, string key, CacheEntryOptions options, CancellationToken cancellationToken)
    {
        var runs = 0;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = new List<Task<string>>();
        for (var p = 0; p < caches.Count; p++)
        {
            var cache = caches[p];
            var process = p;
            for (var c = 0; c < callersPerCache; c++)
            {
                callers.Add(Task.Run(async () =>
                {
                    await start.Task; // all callers go at once
                    return await cache.GetOrCreateAsync(key, async ct =>
                    {
                        Interlocked.Increment(ref runs);
                        await Task.Delay(50, ct);
                        return "made-by-" + process;
                    }, options, cancellationToken);
                }, cancellationToken));
            }
        }

        start.SetResult();
        var results = await Task.WhenAll(callers);
        return (results, Volatile.Read(ref runs));
    }
}
