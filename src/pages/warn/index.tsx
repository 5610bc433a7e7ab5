/** Warn page: reached by the DNR redirect `warn.html#<original URL>`; the employee may proceed. */
import '../../ui/theme.css';
import '../../ui/notice-page.css';
import { startNoticePage } from '../../ui/notice-page.tsx';

startNoticePage('warn');
