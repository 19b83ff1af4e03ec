namespace Monitoring.Reports;

/// <summary>A column: its CSV header, its HTML heading, and the display format of its numbers (null: text or integer).</summary>
public sealed record ReportColumn(string Name, string Title, string? Format = null);

/// <summary>
/// A table of the report, rendered in the HTML page and exported as <c>{Id}.csv</c>. Cells are strings, numbers
/// (double, int) or null (empty); NaN is empty too. The HTML shows numbers with the column's format, the CSV in
/// full precision, both in invariant culture.
/// </summary>
public sealed record ReportTable(string Id, string Title, IReadOnlyList<ReportColumn> Columns, IReadOnlyList<IReadOnlyList<object?>> Rows);
