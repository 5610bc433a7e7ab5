/** Warn page: reached by the DNR redirect `warn.html#<original URL>`; the employee may proceed. */
import '../shared/theme.css';
import '../shared/notice-page.css';
import { startNoticePage } from '../shared/notice-page.tsx';

startNoticePage('warn');
