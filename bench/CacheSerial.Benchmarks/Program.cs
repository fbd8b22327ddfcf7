using BenchmarkDotNet.Running;
using CacheSerial.Benchmarks.Compare;

// Verbs: `bdn [BenchmarkDotNet arguments]` runs the micro-benchmark suites; `compare [...]` the side-by-side comparison;
// `allocations [contenders]` a sampled allocation profile of hits by type; `coherence [...]` invalidation lag and a
// stale audit of memory levels kept coherent across nodes.
switch (args)
{
    case ["bdn", .. var rest]:
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(CompareCommand).Assembly).Run(rest);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    case ["compare", .. var rest]:
        try
        {
            return await CompareCommand.RunAsync(rest);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

    case ["coherence", .. var rest]:
        try
        {
            return await CacheSerial.Benchmarks.Coherence.CoherenceCommand.RunAsync(rest);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

    case ["allocations", .. var rest]:
        try
        {
            return await AllocationProfile.RunAsync(rest);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

    default:
        Console.Error.WriteLine(
            """
            Usage:
              dotnet run -c Release --project bench/CacheSerial.Benchmarks -- bdn --filter '*'
              dotnet run -c Release --project bench/CacheSerial.Benchmarks -- compare [--redis host:port] [--rounds 7] [--quick] [--output path]
              dotnet run -c Release --project bench/CacheSerial.Benchmarks -- allocations ["contender name" ...]
              dotnet run -c Release --project bench/CacheSerial.Benchmarks -- coherence [--samples 500] [--seconds 5] [--redis host:port] [--output path]
            """);
        return 2;
}
