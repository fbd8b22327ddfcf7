using System.Diagnostics.Metrics;

namespace CacheSerial.Benchmarks.Coherence;

/// <summary>Counts CacheSerial's memory-level hits in this process (the <c>cacheserial.hits</c> counter, <c>cache.level = memory</c>).</summary>
internal static class MemoryHitCounter
{
    private static readonly MeterListener Listener = Start();
    private static long _count;

    public static long Count
    {
        get
        {
            GC.KeepAlive(Listener);
            return Interlocked.Read(ref _count);
        }
    }

    private static MeterListener Start()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "CacheSerial" && instrument.Name == "cacheserial.hits")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "cache.level" && (string?)tag.Value == "memory")
                {
                    Interlocked.Add(ref _count, value);
                }
            }
        });
        listener.Start();
        return listener;
    }
}
