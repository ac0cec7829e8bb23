"""The Containers pane's table: one row per container of the workspace, keyed by container id."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.widgets import DataTable

from workbench.ui.containers.format import COLUMNS


class ContainerTable(DataTable[str]):
    """A ``DataTable`` of containers (columns: :data:`~workbench.ui.containers.format.COLUMNS`).

    Rows are keyed by container id. Cells are given as ``{column key: text}`` (see
    :func:`~workbench.ui.containers.format.row_cells`); only cells whose text changed are written.
    """

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show(self, ids: list[str], cells: Callable[[str], dict[str, str]]) -> None:
        """Show the rows ``ids`` in that order, keeping the cursor on the same container.

        Args:
            ids: container ids, in display order.
            cells: returns the cells of one container's row, by column key.
        """
        if [key.value for key in self.rows] != ids:
            selected = self.selected_id()
            self.clear()
            for cid in ids:
                row = cells(cid)
                self.add_row(*(row[key] for key, _ in COLUMNS), key=cid)
            if selected in ids:
                self.move_cursor(row=ids.index(selected))
        else:
            self.update_rows(ids, cells)

    def update_rows(self, ids: Iterable[str], cells: Callable[[str], dict[str, str]]) -> None:
        """Write the changed cells of the rows ``ids`` (ids without a row are ignored)."""
        for cid in ids:
            if cid not in self.rows:
                continue
            row = cells(cid)
            for (key, _), old in zip(COLUMNS, self.get_row(cid), strict=False):
                if row[key] != old:
                    self.update_cell(cid, key, row[key], update_width=True)

    def selected_id(self) -> str | None:
        """The id of the container under the cursor (None when the table is empty)."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value
