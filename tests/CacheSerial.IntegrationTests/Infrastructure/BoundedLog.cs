namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>The last lines a child printed, for an error message.</summary>
internal sealed class BoundedLog
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > 20)
            {
                _lines.Dequeue();
            }
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return _lines.Count == 0 ? "(none)" : string.Join(" / ", _lines);
        }
    }
}
