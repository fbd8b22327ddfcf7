using Microsoft.Extensions.Logging;

namespace CacheSerial.Samples.ConsoleApp;

/// <summary>
/// Writes log lines synchronously, indented under the sample's own output, so a warning appears right where it
/// happened (the stock console logger writes from a background thread and its lines can land later).
/// </summary>
internal sealed class SampleConsoleLoggerProvider : ILoggerProvider
{
    private static readonly Lock Gate = new();

    public ILogger CreateLogger(string categoryName) => new SampleConsoleLogger(categoryName);

    public void Dispose()
    {
    }

    private sealed class SampleConsoleLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var level = logLevel switch
            {
                LogLevel.Trace => "trce",
                LogLevel.Debug => "dbug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                _ => "crit",
            };
            var name = string.IsNullOrEmpty(eventId.Name) ? string.Empty : " " + eventId.Name;
            lock (Gate)
            {
                var previous = Console.ForegroundColor;
                Console.ForegroundColor = logLevel >= LogLevel.Warning ? ConsoleColor.Yellow : ConsoleColor.DarkGray;
                Console.WriteLine($"    log {level} {category}[{eventId.Id}{name}]: {formatter(state, exception)}");
                if (exception is not null)
                {
                    Console.WriteLine($"        {exception.GetType().Name}: {exception.Message}");
                }

                Console.ForegroundColor = previous;
            }
        }
    }
}
