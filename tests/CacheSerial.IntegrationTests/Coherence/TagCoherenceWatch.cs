using System.Diagnostics;
using System.Globalization;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>An entry a watch reads on every watching node.</summary>
/// <param name="Key">The caller's key.</param>
/// <param name="Value">The value written before the removal.</param>
/// <param name="Gone">True: the removal governs it (it must turn into a miss); false: it must stay readable.</param>
/// <param name="GetOrCreate">Read with get-or-create (a miss re-runs the node's factory, which tags its value with <paramref name="Tags"/>).</param>
/// <param name="Tags">The tags a node's factory gives a regenerated value.</param>
internal sealed record WatchedEntry(string Key, string Value, bool Gone, bool GetOrCreate = false, string[]? Tags = null);

/// <summary>
/// Measures how long other nodes keep reading what a removal (by tag, or a clear) governs: every watching node reads the
/// entries in a loop from before the removal until each governed entry was seen gone and the bound (plus
/// <see cref="Slack"/>) has passed. Records per node the first read that saw each entry gone, the last read that still
/// saw its old value, and whether an old value came back after it was gone; a stall probe runs alongside.
/// </summary>
internal sealed class TagCoherenceWatch
{
    /// <summary>Beyond the bound: a loopback round trip or two and the scheduling of a busy 2-core machine.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(250);

    /// <summary>A Task.Delay overshooting this much means the process was not running for a while (thread-pool stall).</summary>
    public static readonly TimeSpan StallThreshold = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(5);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly IReadOnlyList<WatchedEntry> _entries;
    private readonly NodeWatch[] _nodes;

    private TagCoherenceWatch(IReadOnlyList<CoherenceNode> watchers, IReadOnlyList<WatchedEntry> entries)
    {
        _entries = entries;
        _nodes = [.. watchers.Select(n => new NodeWatch(n, entries.Count))];
    }

    // Ticks on the watch's clock, read by the pollers while the removal runs; 0 before it started.
    private long _removalStarted;
    private long _removalEnded;

    /// <summary>The removal call's start and end on the watch's clock.</summary>
    public TimeSpan RemovalStarted => new(Volatile.Read(ref _removalStarted));

    public TimeSpan RemovalEnded => new(Volatile.Read(ref _removalEnded));

    /// <summary>The largest stall the probe saw from the removal's start to the end of the watch.</summary>
    public TimeSpan LargestStall { get; private set; }

    public IReadOnlyList<NodeWatch> Nodes => _nodes;

    /// <summary>The latest lag over the watching nodes: when the last governed entry was first seen gone, after the call returned.</summary>
    public TimeSpan MaxLag => _nodes.Max(n => n.Lag(this));

    /// <summary>How long after the call returned a read still started that saw an old value (negative: none after it returned).</summary>
    public TimeSpan LatestOldRead => _nodes.Max(n => n.LatestOldRead(this));

    /// <summary>
    /// Reads the entries on <paramref name="watchers"/> until each has read every entry once (all with their old values),
    /// runs <paramref name="removal"/>, then reads on until each governed entry was seen gone on every watcher and
    /// <paramref name="bound"/> + <see cref="Slack"/> has passed since it returned. Fails if an entry is never seen gone
    /// (within <see cref="Eventually.Deadline"/>), if one was gone before the removal, or if a read failed.
    /// </summary>
    /// <param name="afterRemoval">Runs as soon as the removal returned (the remover's own check), while the watchers read on.</param>
    public static async Task<TagCoherenceWatch> RunAsync(
        IReadOnlyList<CoherenceNode> watchers,
        IReadOnlyList<WatchedEntry> entries,
        Func<Task> removal,
        TimeSpan bound,
        CancellationToken cancellationToken,
        Func<Task>? afterRemoval = null)
    {
        var watch = new TagCoherenceWatch(watchers, entries);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stalls = watch.ProbeStallsAsync(stop.Token);
        var pollers = watch._nodes.Select(n => Task.Run(() => watch.PollAsync(n, stop.Token), CancellationToken.None)).ToArray();
        try
        {
            await Eventually.HoldsAsync(
                () => watch._nodes.All(n => Volatile.Read(ref n.Rounds) >= 1) || pollers.Any(p => p.IsCompleted),
                "every watcher read every entry once before the removal",
                cancellationToken);
            Volatile.Write(ref watch._removalStarted, watch._clock.Elapsed.Ticks);
            await removal();
            Volatile.Write(ref watch._removalEnded, watch._clock.Elapsed.Ticks);
            if (afterRemoval is not null)
            {
                await afterRemoval();
            }

            var until = watch.RemovalEnded + bound + Slack;
            await Eventually.HoldsAsync(
                () => Task.FromResult(pollers.Any(p => p.IsCompleted) || (watch._clock.Elapsed > until && watch._nodes.All(n => n.AllGoneSeen(entries)))),
                "every watcher sees every governed entry gone",
                cancellationToken,
                watch.Describe);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(pollers.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default)));
            var probe = await stalls;
            watch.LargestStall = probe.Where(s => s.At >= watch.RemovalStarted).Select(s => s.Overshoot).DefaultIfEmpty().Max();
        }

        await Task.WhenAll(pollers); // a failed read fails the test
        foreach (var node in watch._nodes)
        {
            Assert.True(node.GoneBeforeRemoval is null, $"{node.Node} read {node.GoneBeforeRemoval} gone before the removal started: the test did not set up what it meant to.");
        }

        return watch;
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> (a fresh cluster and a watch each time) until one's last old read started within
    /// <paramref name="bound"/> + <see cref="Slack"/> of the removal's return. An attempt that read an old value later is
    /// run again only if the stall probe saw the process stall meanwhile (a delayed delivery proves nothing about the
    /// cache); without a stall it fails the test. If every attempt stalled, the test fails saying the machine is too loaded.
    /// </summary>
    public static async Task<(TagCoherenceWatch Watch, int Attempt, string Spoiled)> WithoutStallsAsync(
        string what, TimeSpan bound, Func<Task<TagCoherenceWatch>> attempt)
    {
        const int Attempts = 3;
        var spoiled = new List<string>();
        for (var i = 1; i <= Attempts; i++)
        {
            var watch = await attempt();
            var late = watch.LatestOldRead - bound;
            if (late <= Slack)
            {
                return (watch, i, string.Join("; ", spoiled));
            }

            var detail = $"attempt {i}: an old value was read by a read that started {Ms(watch.LatestOldRead)} after the call returned " +
                $"(bound {Ms(bound)} + slack {Ms(Slack)}); largest stall {Ms(watch.LargestStall)}. {watch.Describe()}";
            Assert.True(watch.LargestStall >= StallThreshold, $"{what}: {detail}");
            spoiled.Add(detail);
        }

        Assert.Fail($"{what}: in all {Attempts} attempts this process stalled while an old value was still read past the bound: the machine is too loaded to judge. {string.Join(" | ", spoiled)}");
        return default;
    }

    /// <summary>Per node and entry, what the watch saw, for assertion messages and the report.</summary>
    public string Describe() => string.Join("; ", _nodes.Select(n => n.Describe(this)));

    private static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";

    private async Task PollAsync(NodeWatch node, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            for (var i = 0; i < _entries.Count; i++)
            {
                var entry = _entries[i];
                var start = _clock.Elapsed;
                string? seen;
                try
                {
                    seen = await ReadAsync(node, entry, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }

                node.Record(this, i, entry, seen, start, _clock.Elapsed);
            }

            Interlocked.Increment(ref node.Rounds);
            try
            {
                await Task.Delay(PollEvery, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<string?> ReadAsync(NodeWatch watch, WatchedEntry entry, CancellationToken cancellationToken)
    {
        if (!entry.GetOrCreate)
        {
            return await watch.Node.ReadAsync(entry.Key, cancellationToken);
        }

        return await watch.Node.Cache.GetOrCreateAsync(
            entry.Key,
            (context, _) =>
            {
                Interlocked.Increment(ref watch.FactoryRuns);
                foreach (var tag in entry.Tags ?? [])
                {
                    context.Tags.Add(tag);
                }

                return ValueTask.FromResult($"{entry.Key}-regenerated-by-{watch.Node}");
            },
            cancellationToken: cancellationToken);
    }

    /// <summary>Task.Delay(50) in a loop: how much later than asked each one ended, with when it started.</summary>
    private async Task<List<(TimeSpan At, TimeSpan Overshoot)>> ProbeStallsAsync(CancellationToken stop)
    {
        var step = TimeSpan.FromMilliseconds(50);
        var seen = new List<(TimeSpan, TimeSpan)>();
        while (!stop.IsCancellationRequested)
        {
            var before = _clock.Elapsed;
            try
            {
                await Task.Delay(step, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            seen.Add((before, _clock.Elapsed - before - step));
        }

        return seen;
    }

    /// <summary>One watching node's observations, per entry (index as in the watch's list).</summary>
    internal sealed class NodeWatch(CoherenceNode node, int entries)
    {
        private readonly Lock _gate = new();
        private readonly TimeSpan?[] _firstGoneEnd = new TimeSpan?[entries];
        private readonly TimeSpan?[] _lastOldStart = new TimeSpan?[entries];
        private readonly string?[] _lastSeen = new string?[entries];
        private readonly List<string> _wrong = [];

        public int Rounds;
        public int FactoryRuns;

        public CoherenceNode Node { get; } = node;

        /// <summary>A governed entry already gone in a read that ended before the removal started.</summary>
        public string? GoneBeforeRemoval { get; private set; }

        /// <summary>Old values read again after the entry was seen gone, and kept entries not read back.</summary>
        public IReadOnlyList<string> Wrong
        {
            get
            {
                lock (_gate)
                {
                    return [.. _wrong];
                }
            }
        }

        public void Record(TagCoherenceWatch watch, int index, WatchedEntry entry, string? seen, TimeSpan start, TimeSpan end)
        {
            lock (_gate)
            {
                _lastSeen[index] = seen;
                var old = seen == entry.Value;
                if (!entry.Gone)
                {
                    if (!old)
                    {
                        _wrong.Add($"kept entry {entry.Key} read as {seen ?? "(miss)"} at {Ms(start - watch.RemovalEnded)} after the removal returned");
                    }

                    return;
                }

                if (old)
                {
                    _lastOldStart[index] = start;
                    if (_firstGoneEnd[index] is not null)
                    {
                        _wrong.Add($"{entry.Key}'s old value read again at {Ms(start - watch.RemovalEnded)} after it was seen gone");
                    }

                    return;
                }

                // A read that ended before the removal started cannot have seen it (one that overlaps it may have).
                if (watch.RemovalStarted == TimeSpan.Zero || end < watch.RemovalStarted)
                {
                    GoneBeforeRemoval ??= $"{entry.Key} (read as {seen ?? "(miss)"})";
                    return;
                }

                _firstGoneEnd[index] ??= end;
            }
        }

        public bool AllGoneSeen(IReadOnlyList<WatchedEntry> entries)
        {
            lock (_gate)
            {
                return entries.Select((e, i) => !e.Gone || _firstGoneEnd[i] is not null).All(x => x);
            }
        }

        /// <summary>When the last governed entry was first seen gone (the end of that read), from the call's return.</summary>
        public TimeSpan Lag(TagCoherenceWatch watch)
        {
            lock (_gate)
            {
                return _firstGoneEnd.Where(t => t is not null).Select(t => t!.Value - watch.RemovalEnded).DefaultIfEmpty(TimeSpan.MaxValue).Max();
            }
        }

        /// <summary>The start of the latest read that saw an old value, from the call's return.</summary>
        public TimeSpan LatestOldRead(TagCoherenceWatch watch)
        {
            lock (_gate)
            {
                return _lastOldStart.Where(t => t is not null).Select(t => t!.Value - watch.RemovalEnded).DefaultIfEmpty(TimeSpan.MinValue).Max();
            }
        }

        public string Describe(TagCoherenceWatch watch)
        {
            lock (_gate)
            {
                var parts = watch._entries.Select((e, i) => e.Gone
                    ? $"{e.Key}: gone at {(_firstGoneEnd[i] is { } g ? Ms(g - watch.RemovalEnded) : "never")}, old until {(_lastOldStart[i] is { } o ? Ms(o - watch.RemovalEnded) : "-")}"
                    : $"{e.Key}: last {_lastSeen[i] ?? "(miss)"}");
                return $"{Node}: {Rounds} rounds, {FactoryRuns} factory runs, [{string.Join(", ", parts)}]";
            }
        }
    }
}
